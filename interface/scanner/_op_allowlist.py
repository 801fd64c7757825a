"""The reviewed list of TensorFlow ops that only compute on their inputs and in-memory state.

Every op here reads only its input tensors, its attributes and in-memory resources (variables,
tables, queues, tensor lists) of the running process, and writes only its outputs and those
resources: no file, process, network or device outside the computation. The list was built from
TensorFlow's op registry by family and reviewed name by name; ops that reach outside (file
readers and writers, datasets, summaries written to disk, RPC, collectives, host transfers, Python
callbacks, session handles, memory-mapped constants) were left out. An op missing from this list
is "unknown" to the scanner, so a new TensorFlow op is flagged until someone reviews it here.

A few ops are pure only with certain attributes or operands; the scanner checks those itself:
`PrintV2` (its output stream), `DecodeProtoV2`/`EncodeProto` (where they read descriptors) and
`XlaCallModule` (Python callbacks in its program) by the values their attribute takes at run
time (`scanning.ATTRIBUTE_RULES`, placeholders resolved through every caller), the checkpoint
ops of the saver and `InitializeTableFromTextFileV2` on an asset by the graph's structure
(`saver_check`). For the ops on this list, no attribute value makes them reach files,
processes or the network (reviewed with the list).
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Family -> (what the family does, its op names).
PURE_OPS: dict[str, tuple[str, frozenset[str]]] = {
    "array": (
        "Tensor shapes, slicing, gathering, padding, quantization and constants",
        _names(
            """
            BatchMatrixBandPart BatchMatrixDiag BatchMatrixDiagPart BatchMatrixSetDiag BatchToSpace
            BatchToSpaceND Bitcast BroadcastArgs BroadcastGradientArgs BroadcastTo CheckNumerics
            CheckNumericsV2 Concat ConcatOffset ConcatV2 ConjugateTranspose Const DeepCopy DepthToSpace
            Dequantize Diag DiagPart EditDistance Empty EnsureShape ExpandDims ExtractImagePatches
            ExtractVolumePatches FakeQuantWithMinMaxArgs FakeQuantWithMinMaxArgsGradient
            FakeQuantWithMinMaxVars FakeQuantWithMinMaxVarsGradient FakeQuantWithMinMaxVarsPerChannel
            FakeQuantWithMinMaxVarsPerChannelGradient Fill Fingerprint Gather GatherNd GatherV2
            GuaranteeConst Identity IdentityN InplaceAdd InplaceSub InplaceUpdate InvertPermutation
            ListDiff LowerBound MatrixBandPart MatrixDiag MatrixDiagPart MatrixDiagPartV2
            MatrixDiagPartV3 MatrixDiagV2 MatrixDiagV3 MatrixSetDiag MatrixSetDiagV2 MatrixSetDiagV3
            MirrorPad MirrorPadGrad OneHot OnesLike Pack Pad PadV2 ParallelConcat Placeholder
            PlaceholderV2 PlaceholderWithDefault PreventGradient QuantizeAndDequantize
            QuantizeAndDequantizeV2 QuantizeAndDequantizeV3 QuantizeAndDequantizeV4
            QuantizeAndDequantizeV4Grad QuantizeV2 QuantizedConcat QuantizedInstanceNorm
            QuantizedReshape Rank RefIdentity Reshape ResourceStridedSliceAssign Reverse ReverseSequence
            ReverseV2 Roll ScatterNd ScatterNdNonAliasingAdd Shape ShapeN Size Slice Snapshot
            SpaceToBatch SpaceToBatchND SpaceToDepth Split SplitV Squeeze StopGradient StridedSlice
            StridedSliceAssign StridedSliceGrad TensorScatterAdd TensorScatterMax TensorScatterMin
            TensorScatterSub TensorScatterUpdate TensorStridedSliceUpdate Tile TileGrad Transpose Unique
            UniqueV2 UniqueWithCounts UniqueWithCountsV2 Unpack UnravelIndex UpperBound Where ZerosLike
            """
        ),
    ),
    "math": (
        "Element-wise math, reductions, matrix products, segment sums, comparisons",
        _names(
            """
            Abs AccumulateNV2 Acos Acosh Add AddN AddV2 All Angle Any ApproximateEqual ArgMax ArgMin
            Asin Asinh Atan Atan2 Atanh BandedTriangularSolve BatchCholesky BatchCholeskyGrad BatchFFT
            BatchFFT2D BatchFFT3D BatchIFFT BatchIFFT2D BatchIFFT3D BatchMatMul BatchMatMulV2
            BatchMatMulV3 BatchMatrixDeterminant BatchMatrixInverse BatchMatrixSolve BatchMatrixSolveLs
            BatchMatrixTriangularSolve BatchSelfAdjointEig BatchSelfAdjointEigV2 BatchSvd BesselI0
            BesselI0e BesselI1 BesselI1e BesselJ0 BesselJ1 BesselK0 BesselK0e BesselK1 BesselK1e
            BesselY0 BesselY1 Betainc Bincount BitwiseAnd BitwiseOr BitwiseXor Bucketize Cast Ceil
            Cholesky CholeskyGrad ClipByValue Complex ComplexAbs Conj Cos Cosh Cross Cumprod Cumsum
            CumulativeLogsumexp Dawsn DenseBincount Digamma Div DivNoNan Eig Einsum Equal Erf Erfc
            Erfinv EuclideanNorm Exp Expint Expm1 FFT FFT2D FFT3D FFTND Floor FloorDiv FloorMod
            FresnelCos FresnelSin Greater GreaterEqual HistogramFixedWidth IFFT IFFT2D IFFT3D IFFTND
            IRFFT IRFFT2D IRFFT3D IRFFTND Igamma IgammaGradA Igammac Imag Inv InvGrad Invert IsFinite
            IsInf IsNan LeftShift Less LessEqual Lgamma LinSpace Log Log1p LogMatrixDeterminant
            LogicalAnd LogicalNot LogicalOr Lu MatMul MatrixDeterminant MatrixExponential MatrixInverse
            MatrixLogarithm MatrixSolve MatrixSolveLs MatrixSquareRoot MatrixTriangularSolve Max Maximum
            Mean Min Minimum Mod Mul MulNoNan Ndtri Neg NextAfter NotEqual Polygamma PopulationCount Pow
            Prod Qr QuantizeDownAndShrinkRange QuantizedAdd QuantizedMatMul QuantizedMul RFFT RFFT2D
            RFFT3D RFFTND RaggedBincount Range Real RealDiv Reciprocal ReciprocalGrad
            RequantizationRange RequantizationRangePerChannel Requantize RequantizePerChannel RightShift
            Rint Round Rsqrt RsqrtGrad SegmentMax SegmentMaxV2 SegmentMean SegmentMin SegmentMinV2
            SegmentProd SegmentProdV2 SegmentSum SegmentSumV2 Select SelectV2 SelfAdjointEig
            SelfAdjointEigV2 Sigmoid SigmoidGrad Sign Sin Sinh SobolSample SparseBincount SparseMatMul
            SparseSegmentMean SparseSegmentMeanGrad SparseSegmentMeanGradV2
            SparseSegmentMeanWithNumSegments SparseSegmentSqrtN SparseSegmentSqrtNGrad
            SparseSegmentSqrtNGradV2 SparseSegmentSqrtNWithNumSegments SparseSegmentSum
            SparseSegmentSumGrad SparseSegmentSumGradV2 SparseSegmentSumWithNumSegments Spence Sqrt
            SqrtGrad Square SquaredDifference Sub Sum Svd Tan Tanh TanhGrad TridiagonalMatMul
            TridiagonalSolve TruncateDiv TruncateMod UnsortedSegmentMax UnsortedSegmentMin
            UnsortedSegmentProd UnsortedSegmentSum Xdivy Xlog1py Xlogy Zeta
            """
        ),
    ),
    "nn": (
        "Neural-network layers: convolution, pooling, normalization, activations, losses",
        _names(
            """
            ApproxTopK AvgPool AvgPool3D AvgPool3DGrad AvgPoolGrad BatchNormWithGlobalNormalization
            BatchNormWithGlobalNormalizationGrad BiasAdd BiasAddGrad BiasAddV1 BlockLSTM BlockLSTMGrad
            BlockLSTMGradV2 BlockLSTMV2 CTCBeamSearchDecoder CTCGreedyDecoder CTCLoss CTCLossV2 Conv
            Conv2D Conv2DBackpropFilter Conv2DBackpropFilterV2 Conv2DBackpropInput Conv2DBackpropInputV2
            Conv3D Conv3DBackpropFilter Conv3DBackpropFilterV2 Conv3DBackpropInput Conv3DBackpropInputV2
            CudnnRNN CudnnRNNBackprop CudnnRNNBackpropV2 CudnnRNNBackpropV3 CudnnRNNCanonicalToParams
            CudnnRNNCanonicalToParamsV2 CudnnRNNParamsSize CudnnRNNParamsToCanonical
            CudnnRNNParamsToCanonicalV2 CudnnRNNV2 CudnnRNNV3 DataFormatDimMap DataFormatVecPermute
            DepthwiseConv2dNative DepthwiseConv2dNativeBackpropFilter DepthwiseConv2dNativeBackpropInput
            Dilation2D Dilation2DBackpropFilter Dilation2DBackpropInput Elu EluGrad FractionalAvgPool
            FractionalAvgPoolGrad FractionalMaxPool FractionalMaxPoolGrad FusedBatchNorm
            FusedBatchNormGrad FusedBatchNormGradV2 FusedBatchNormGradV3 FusedBatchNormV2
            FusedBatchNormV3 FusedPadConv2D FusedResizeAndPadConv2D GRUBlockCell GRUBlockCellGrad InTopK
            InTopKV2 IsotonicRegression L2Loss LRN LRNGrad LSTMBlockCell LSTMBlockCellGrad LeakyRelu
            LeakyReluGrad LogSoftmax MaxPool MaxPool3D MaxPool3DGrad MaxPool3DGradGrad MaxPoolGrad
            MaxPoolGradGrad MaxPoolGradGradV2 MaxPoolGradGradWithArgmax MaxPoolGradV2
            MaxPoolGradWithArgmax MaxPoolV2 MaxPoolWithArgmax NthElement QuantizedAvgPool
            QuantizedBatchNormWithGlobalNormalization QuantizedBiasAdd QuantizedConv2D
            QuantizedConv2DAndRelu QuantizedConv2DAndReluAndRequantize QuantizedConv2DAndRequantize
            QuantizedConv2DPerChannel QuantizedConv2DWithBias QuantizedConv2DWithBiasAndRelu
            QuantizedConv2DWithBiasAndReluAndRequantize QuantizedConv2DWithBiasAndRequantize
            QuantizedConv2DWithBiasSignedSumAndReluAndRequantize QuantizedConv2DWithBiasSumAndRelu
            QuantizedConv2DWithBiasSumAndReluAndRequantize QuantizedDepthwiseConv2D
            QuantizedDepthwiseConv2DWithBias QuantizedDepthwiseConv2DWithBiasAndRelu
            QuantizedDepthwiseConv2DWithBiasAndReluAndRequantize QuantizedMatMulWithBias
            QuantizedMatMulWithBiasAndDequantize QuantizedMatMulWithBiasAndRelu
            QuantizedMatMulWithBiasAndReluAndRequantize QuantizedMatMulWithBiasAndRequantize
            QuantizedMaxPool QuantizedRelu QuantizedRelu6 QuantizedReluX Relu Relu6 Relu6Grad ReluGrad
            Selu SeluGrad Softmax SoftmaxCrossEntropyWithLogits Softplus SoftplusGrad Softsign
            SoftsignGrad SparseSoftmaxCrossEntropyWithLogits TopK TopKV2 UniformDequantize
            UniformQuantize UniformQuantizedAdd UniformQuantizedClipByValue UniformQuantizedConvolution
            UniformQuantizedConvolutionHybrid UniformQuantizedDot UniformQuantizedDotHybrid
            UniformRequantize
            """
        ),
    ),
    "control_flow": (
        "Conditionals, loops and calls of library functions (the called functions are scanned too)",
        _names(
            """
            Batch BatchFunction Case ControlTrigger DeviceIndex Enter Exit FakeParam For If LoopCond
            Merge NextIteration NoOp PartitionedCall RefEnter RefExit RefMerge RefNextIteration
            RefSelect RefSwitch StatefulPartitionedCall StatelessCase StatelessIf StatelessWhile Switch
            SymbolicGradient ToBool Unbatch UnbatchGrad While
            """
        ),
    ),
    "variables": (
        "Variables and other in-memory resources: read, assign, scatter, optimizer updates, mutexes",
        _names(
            """
            ApplyAdaMax ApplyAdadelta ApplyAdagrad ApplyAdagradDA ApplyAdagradV2 ApplyAdam ApplyAddSign
            ApplyCenteredRMSProp ApplyFtrl ApplyFtrlV2 ApplyGradientDescent ApplyMomentum ApplyPowerSign
            ApplyProximalAdagrad ApplyProximalGradientDescent ApplyRMSProp Assign AssignAdd
            AssignAddVariableOp AssignSub AssignSubVariableOp AssignVariableOp ConsumeMutexLock
            CountUpTo DestroyResourceOp DestroyTemporaryVariable DisableCopyOnRead IsVariableInitialized
            MutexLock MutexV2 OptionalFromValue OptionalGetValue OptionalHasValue OptionalNone
            ReadVariableOp ResourceApplyAdaMax ResourceApplyAdadelta ResourceApplyAdagrad
            ResourceApplyAdagradDA ResourceApplyAdagradV2 ResourceApplyAdam ResourceApplyAdamWithAmsgrad
            ResourceApplyAddSign ResourceApplyCenteredRMSProp ResourceApplyFtrl ResourceApplyFtrlV2
            ResourceApplyGradientDescent ResourceApplyKerasMomentum ResourceApplyMomentum
            ResourceApplyPowerSign ResourceApplyProximalAdagrad ResourceApplyProximalGradientDescent
            ResourceApplyRMSProp ResourceCountUpTo ResourceGather ResourceGatherNd ResourceScatterAdd
            ResourceScatterDiv ResourceScatterMax ResourceScatterMin ResourceScatterMul
            ResourceScatterNdAdd ResourceScatterNdMax ResourceScatterNdMin ResourceScatterNdSub
            ResourceScatterNdUpdate ResourceScatterSub ResourceScatterUpdate ResourceSparseApplyAdadelta
            ResourceSparseApplyAdagrad ResourceSparseApplyAdagradDA ResourceSparseApplyAdagradV2
            ResourceSparseApplyCenteredRMSProp ResourceSparseApplyFtrl ResourceSparseApplyFtrlV2
            ResourceSparseApplyKerasMomentum ResourceSparseApplyMomentum
            ResourceSparseApplyProximalAdagrad ResourceSparseApplyProximalGradientDescent
            ResourceSparseApplyRMSProp ScatterAdd ScatterDiv ScatterMax ScatterMin ScatterMul
            ScatterNdAdd ScatterNdMax ScatterNdMin ScatterNdSub ScatterNdUpdate ScatterSub ScatterUpdate
            SparseApplyAdadelta SparseApplyAdagrad SparseApplyAdagradDA SparseApplyAdagradV2
            SparseApplyCenteredRMSProp SparseApplyFtrl SparseApplyFtrlV2 SparseApplyMomentum
            SparseApplyProximalAdagrad SparseApplyProximalGradientDescent SparseApplyRMSProp
            TemporaryVariable VarHandleOp VarIsInitializedOp Variable VariableShape VariableV2
            """
        ),
    ),
    "random": (
        "Random numbers, stateful and stateless",
        _names(
            """
            AllCandidateSampler ComputeAccidentalHits FixedUnigramCandidateSampler
            LearnedUnigramCandidateSampler LogUniformCandidateSampler Multinomial NonDeterministicInts
            ParameterizedTruncatedNormal RandomGamma RandomGammaGrad RandomIndexShuffle RandomPoisson
            RandomPoissonV2 RandomShuffle RandomStandardNormal RandomUniform RandomUniformInt
            RngReadAndSkip RngSkip StatefulRandomBinomial StatefulStandardNormal
            StatefulStandardNormalV2 StatefulTruncatedNormal StatefulUniform StatefulUniformFullInt
            StatefulUniformInt StatelessMultinomial StatelessParameterizedTruncatedNormal
            StatelessRandomBinomial StatelessRandomGammaV2 StatelessRandomGammaV3 StatelessRandomGetAlg
            StatelessRandomGetKeyCounter StatelessRandomGetKeyCounterAlg StatelessRandomNormal
            StatelessRandomNormalV2 StatelessRandomPoisson StatelessRandomUniform
            StatelessRandomUniformFullInt StatelessRandomUniformFullIntV2 StatelessRandomUniformInt
            StatelessRandomUniformIntV2 StatelessRandomUniformV2 StatelessShuffle
            StatelessTruncatedNormal StatelessTruncatedNormalV2 ThreadUnsafeUnigramCandidateSampler
            TruncatedNormal UniformCandidateSampler
            """
        ),
    ),
    "containers": (
        "In-memory containers: tensor lists and maps, tensor arrays, queues, stages, barriers, accumulators, hash tables",
        _names(
            """
            AccumulatorApplyGradient AccumulatorNumAccumulated AccumulatorSetGlobalStep
            AccumulatorTakeGradient AnonymousHashTable AnonymousMutableDenseHashTable
            AnonymousMutableHashTable AnonymousMutableHashTableOfTensors Barrier BarrierClose
            BarrierIncompleteSize BarrierInsertMany BarrierReadySize BarrierTakeMany
            ConditionalAccumulator DynamicPartition DynamicStitch EmptyTensorList EmptyTensorMap
            FIFOQueue FIFOQueueV2 FakeQueue HashTable HashTableV2 InitializeTable InitializeTableV2
            IteratorGetNext IteratorGetNextSync LookupTableExport LookupTableExportV2 LookupTableFind
            LookupTableFindV2 LookupTableImport LookupTableImportV2 LookupTableInsert
            LookupTableInsertV2 LookupTableRemoveV2 LookupTableSize LookupTableSizeV2 MapClear
            MapIncompleteSize MapPeek MapSize MapStage MapUnstage MapUnstageNoKey MutableDenseHashTable
            MutableDenseHashTableV2 MutableHashTable MutableHashTableOfTensors
            MutableHashTableOfTensorsV2 MutableHashTableV2 OrderedMapClear OrderedMapIncompleteSize
            OrderedMapPeek OrderedMapSize OrderedMapStage OrderedMapUnstage OrderedMapUnstageNoKey
            PaddingFIFOQueue PaddingFIFOQueueV2 ParallelDynamicStitch PriorityQueue PriorityQueueV2
            QueueClose QueueCloseV2 QueueDequeue QueueDequeueMany QueueDequeueManyV2 QueueDequeueUpTo
            QueueDequeueUpToV2 QueueDequeueV2 QueueEnqueue QueueEnqueueMany QueueEnqueueManyV2
            QueueEnqueueV2 QueueIsClosed QueueIsClosedV2 QueueSize QueueSizeV2 RandomShuffleQueue
            RandomShuffleQueueV2 ResourceAccumulatorApplyGradient ResourceAccumulatorNumAccumulated
            ResourceAccumulatorSetGlobalStep ResourceAccumulatorTakeGradient
            ResourceConditionalAccumulator SparseAccumulatorApplyGradient SparseAccumulatorTakeGradient
            SparseConditionalAccumulator Stack StackClose StackCloseV2 StackPop StackPopV2 StackPush
            StackPushV2 StackV2 Stage StageClear StagePeek StageSize TensorArray TensorArrayClose
            TensorArrayCloseV2 TensorArrayCloseV3 TensorArrayConcat TensorArrayConcatV2
            TensorArrayConcatV3 TensorArrayGather TensorArrayGatherV2 TensorArrayGatherV3
            TensorArrayGrad TensorArrayGradV2 TensorArrayGradV3 TensorArrayGradWithShape TensorArrayPack
            TensorArrayRead TensorArrayReadV2 TensorArrayReadV3 TensorArrayScatter TensorArrayScatterV2
            TensorArrayScatterV3 TensorArraySize TensorArraySizeV2 TensorArraySizeV3 TensorArraySplit
            TensorArraySplitV2 TensorArraySplitV3 TensorArrayUnpack TensorArrayV2 TensorArrayV3
            TensorArrayWrite TensorArrayWriteV2 TensorArrayWriteV3 TensorListConcat
            TensorListConcatLists TensorListConcatV2 TensorListElementShape TensorListFromTensor
            TensorListGather TensorListGetItem TensorListLength TensorListPopBack TensorListPushBack
            TensorListPushBackBatch TensorListReserve TensorListResize TensorListScatter
            TensorListScatterIntoExistingList TensorListScatterV2 TensorListSetItem TensorListSplit
            TensorListStack TensorMapErase TensorMapHasKey TensorMapInsert TensorMapLookup TensorMapSize
            TensorMapStackKeys Unstage
            """
        ),
    ),
    "strings": (
        "String and text processing on tensors (no file access)",
        _names(
            """
            AsString DecodeBase64 DecodeCSV DecodeCompressed DecodeJSONExample DecodePaddedRaw DecodeRaw
            EncodeBase64 ParseExample ParseExampleV2 ParseSequenceExample ParseSequenceExampleV2
            ParseSingleExample ParseSingleSequenceExample ParseTensor ReduceJoin RegexFullMatch
            RegexReplace SerializeTensor ShardedFilename ShardedFilespec StaticRegexFullMatch
            StaticRegexReplace StringFormat StringJoin StringLength StringLower StringNGrams StringSplit
            StringSplitV2 StringStrip StringToHashBucket StringToHashBucketFast StringToHashBucketStrong
            StringToNumber StringUpper Substr UnicodeDecode UnicodeDecodeWithOffsets UnicodeEncode
            UnicodeScript UnicodeTranscode UnsortedSegmentJoin
            """
        ),
    ),
    "sparse": (
        "Sparse and ragged tensors, sets, counts",
        _names(
            """
            AddManySparseToTensorsMap AddSparseToTensorsMap CSRSparseMatrixComponents
            CSRSparseMatrixToDense CSRSparseMatrixToSparseTensor CompositeTensorVariantFromComponents
            CompositeTensorVariantToComponents DenseCountSparseOutput DenseToCSRSparseMatrix
            DenseToDenseSetOperation DenseToSparseSetOperation DeserializeManySparse DeserializeSparse
            RaggedCountSparseOutput RaggedCross RaggedFillEmptyRows RaggedFillEmptyRowsGrad RaggedGather
            RaggedRange RaggedTensorFromVariant RaggedTensorToSparse RaggedTensorToTensor
            RaggedTensorToVariant RaggedTensorToVariantGradient SerializeManySparse SerializeSparse
            SetSize SparseAdd SparseAddGrad SparseConcat SparseCountSparseOutput SparseCross
            SparseCrossHashed SparseCrossV2 SparseDenseCwiseAdd SparseDenseCwiseDiv SparseDenseCwiseMul
            SparseFillEmptyRows SparseFillEmptyRowsGrad SparseMatrixAdd SparseMatrixMatMul
            SparseMatrixMul SparseMatrixNNZ SparseMatrixOrderingAMD SparseMatrixSoftmax
            SparseMatrixSoftmaxGrad SparseMatrixSparseCholesky SparseMatrixSparseMatMul
            SparseMatrixTranspose SparseMatrixZeros SparseReduceMax SparseReduceMaxSparse
            SparseReduceSum SparseReduceSumSparse SparseReorder SparseReshape SparseSlice
            SparseSliceGrad SparseSoftmax SparseSparseMaximum SparseSparseMinimum SparseSplit
            SparseTensorDenseAdd SparseTensorDenseMatMul SparseTensorToCSRSparseMatrix SparseToDense
            SparseToSparseSetOperation TakeManySparseFromTensorsMap
            """
        ),
    ),
    "media": (
        "Image and audio decoding, encoding and transforms on in-memory bytes",
        _names(
            """
            AdjustContrast AdjustContrastv2 AdjustHue AdjustSaturation AudioSpectrogram
            CombinedNonMaxSuppression CropAndResize CropAndResizeGradBoxes CropAndResizeGradImage
            DecodeAndCropJpeg DecodeBmp DecodeGif DecodeImage DecodeJpeg DecodeJxl DecodePng DecodeWav
            DecodeWebP DrawBoundingBoxes DrawBoundingBoxesV2 EncodeJpeg EncodeJpegVariableQuality
            EncodePng EncodeWav ExtractGlimpse ExtractGlimpseV2 ExtractJpegShape
            GenerateBoundingBoxProposals HSVToRGB ImageProjectiveTransformV2 ImageProjectiveTransformV3
            Mfcc NonMaxSuppression NonMaxSuppressionV2 NonMaxSuppressionV3 NonMaxSuppressionV4
            NonMaxSuppressionV5 NonMaxSuppressionWithOverlaps QuantizedResizeBilinear RGBToHSV
            RandomCrop ResizeArea ResizeBicubic ResizeBicubicGrad ResizeBilinear ResizeBilinearGrad
            ResizeNearestNeighbor ResizeNearestNeighborGrad SampleDistortedBoundingBox
            SampleDistortedBoundingBoxV2 ScaleAndTranslate ScaleAndTranslateGrad
            StatelessSampleDistortedBoundingBox
            """
        ),
    ),
    "estimators": (
        "Classic estimator models computed in memory: boosted trees, k-means, SDCA",
        _names(
            """
            BoostedTreesAggregateStats BoostedTreesBucketize BoostedTreesCalculateBestFeatureSplit
            BoostedTreesCalculateBestFeatureSplitV2 BoostedTreesCalculateBestGainsPerFeature
            BoostedTreesCenterBias BoostedTreesCreateEnsemble BoostedTreesCreateQuantileStreamResource
            BoostedTreesDeserializeEnsemble BoostedTreesEnsembleResourceHandleOp
            BoostedTreesExampleDebugOutputs BoostedTreesFlushQuantileSummaries
            BoostedTreesGetEnsembleStates BoostedTreesMakeQuantileSummaries BoostedTreesMakeStatsSummary
            BoostedTreesPredict BoostedTreesQuantileStreamResourceAddSummaries
            BoostedTreesQuantileStreamResourceDeserialize BoostedTreesQuantileStreamResourceFlush
            BoostedTreesQuantileStreamResourceGetBucketBoundaries
            BoostedTreesQuantileStreamResourceHandleOp BoostedTreesSerializeEnsemble
            BoostedTreesSparseAggregateStats BoostedTreesSparseCalculateBestFeatureSplit
            BoostedTreesTrainingPredict BoostedTreesUpdateEnsemble BoostedTreesUpdateEnsembleV2
            IsBoostedTreesEnsembleInitialized IsBoostedTreesQuantileStreamResourceInitialized
            KMC2ChainInitialization KmeansPlusPlusInitialization NearestNeighbors SdcaFprint
            SdcaOptimizer SdcaOptimizerV2 SdcaShrinkL1
            """
        ),
    ),
    "logging": (
        "Assertions, timestamps, printing to stderr and summaries returned as tensors (not written)",
        _names(
            """
            Assert AudioSummary AudioSummaryV2 HistogramSummary ImageSummary MergeSummary Print
            ScalarSummary TensorSummary TensorSummaryV2 Timestamp
            """
        ),
    ),
}

#: Every op the scanner accepts without further checks.
ALLOWED_OPS: frozenset[str] = frozenset().union(*(names for _, names in PURE_OPS.values()))
