"""A company hub as a handle kind: `corp://NAME/VERSION` is the archive $CORP_HUB_URL/NAME/VERSION.tar.gz."""

import os
from pathlib import Path

from reusable_savedmodel.interface.handles import ParsedHandle, require_plain, resolve_remote


class CorpResolver:
    def supports(self, handle: ParsedHandle) -> bool:
        return handle.scheme == "corp"

    def resolve(self, handle: ParsedHandle, **options) -> Path:
        parts = handle.rest.split("/")
        require_plain(handle.text, parts, "corp://NAME/VERSION")
        url = f"{os.environ['CORP_HUB_URL']}/{'/'.join(parts)}.tar.gz"
        token = {"Authorization": f"Bearer {os.environ['CORP_HUB_TOKEN']}"}
        # Into this library's cache, checked and unpacked safely, under the handle's name.
        return resolve_remote(url, key=handle.text, headers=token, **options)
