"""Ops known to reach outside the computation: files, processes, the network.

The scanner flags every op that is not on the reviewed allowlist (`op_allowlist`); this
module only says *why* for the ones whose effect is known, so a report can tell "known to
write files" from "not reviewed". Every name is a registered TensorFlow op (a test checks).
"""

from __future__ import annotations

import enum


class Category(str, enum.Enum):
    """What a flagged op reaches outside the computation."""

    PROCESS = "process"
    FILE_WRITE = "file-write"
    FILE_READ = "file-read"
    NETWORK = "network"
    SAVER = "forged-saver"
    UNKNOWN = "unknown-op"


def _ops(category: Category, reason: str, names: str) -> dict[str, tuple[Category, str]]:
    return {name: (category, reason) for name in names.split()}


#: Op type -> (category, why).
DANGEROUS_OPS: dict[str, tuple[Category, str]] = {
    **_ops(Category.PROCESS, "runs arbitrary Python code in the loading process",
           "PyFunc PyFuncStateless EagerPyFunc"),
    **_ops(Category.PROCESS, "aborts the loading process", "Abort"),
    **_ops(Category.FILE_WRITE, "writes files (checkpoints, datasets, summaries, debug dumps)",
           "WriteFile Save SaveSlices SaveV2 MergeV2Checkpoints SaveDataset SaveDatasetV2 "
           "DatasetToTFRecord ExperimentalDatasetToTFRecord CreateSummaryFileWriter "
           "CreateSummaryDbWriter SnapshotDataset SnapshotDatasetV2 CacheDataset CacheDatasetV2 "
           "DebugIdentity DebugIdentityV2 DebugIdentityV3 DebugNanCount DebugNumericSummary DumpTensor "
           "DebugNumericSummaryV2 FileSystemSetConfiguration CalibrationStatisticsSaver "
           "DistributedSave WriteScalarSummary WriteHistogramSummary WriteImageSummary "
           "WriteAudioSummary WriteGraphSummary WriteRawProtoSummary WriteSummary ImportEvent "
           "FlushSummaryWriter CloseSummaryWriter"),
    **_ops(Category.FILE_READ, "reads files (any path, also remote ones such as gs://)",
           "ReadFile MatchingFiles Restore RestoreSlice RestoreV2 DTensorRestoreV2 ImmutableConst "
           "TFRecordDataset TFRecordDatasetV2 TextLineDataset FixedLengthRecordDataset "
           "FixedLengthRecordDatasetV2 CSVDataset CSVDatasetV2 ExperimentalCSVDataset "
           "LMDBDataset ExperimentalLMDBDataset LoadDataset MatchingFilesDataset "
           "ExperimentalMatchingFilesDataset SnapshotDatasetReader SnapshotNestedDatasetReader "
           "SnapshotChunkDataset ListSnapshotChunksDataset "
           "TFRecordReader TFRecordReaderV2 TextLineReader TextLineReaderV2 "
           "FixedLengthRecordReader FixedLengthRecordReaderV2 WholeFileReader WholeFileReaderV2 "
           "LMDBReader InitializeTableFromTextFile InitializeTableFromTextFileV2 "
           "GenerateVocabRemapping LoadAndRemapMatrix RecordInput"),
    **_ops(Category.NETWORK, "connects to a database, a tf.data service, an RPC peer or "
           "another device or task",
           "SqlDataset ExperimentalSqlDataset DataServiceDataset DataServiceDatasetV2 "
           "DataServiceDatasetV3 DataServiceDatasetV4 RegisterDataset RegisterDatasetV2 "
           "RpcClient RpcServer RpcServerStart RpcServerRegister RpcCall RemoteCall "
           "Send Recv _Send _Recv"),
}

#: Why an op that runs a graph held in a tensor is flagged (such graphs cannot be scanned).
FROM_GRAPH_REASON = (
    "runs a graph serialized inside a tensor (a constant or variable), which the scan cannot "
    "see into"
)
