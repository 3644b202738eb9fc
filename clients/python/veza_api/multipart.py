"""A `multipart/form-data` body read as it is sent: the file is never held whole."""

from __future__ import annotations

import os
import uuid
from typing import IO, Any, Dict, List, Optional, Union


class MultipartStream:
    """The form's text fields, then the file as part `file`. Its length is known
    up front (so the request carries a `Content-Length`), and it reads the file in
    the caller's chunk sizes. It is deliberately not an `io` stream: `requests`
    then sends it with that `Content-Length`, reading it in blocks."""

    def __init__(
        self,
        file: Union[str, "os.PathLike[str]", IO[bytes]],
        fields: Dict[str, Any],
        filename: Optional[str] = None,
    ) -> None:
        if isinstance(file, (str, os.PathLike)):
            self._file: IO[bytes] = open(file, "rb")
            self._owned = True
            name = filename or os.path.basename(os.fspath(file))
        else:
            self._file = file
            self._owned = False
            name = filename or os.path.basename(getattr(file, "name", "upload"))
        self.boundary = f"veza-{uuid.uuid4().hex}"
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        head = b""
        for key, value in fields.items():
            head += (
                f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n"
                f"{value}\r\n"
            ).encode()
        safe = name.replace('"', "").replace("\r", "").replace("\n", "")
        head += (
            f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{safe}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self._parts: List[Union[bytes, IO[bytes]]] = [
            head, self._file, f"\r\n--{self.boundary}--\r\n".encode()
        ]
        start = self._file.tell()
        self._file.seek(0, os.SEEK_END)
        self._file_size = self._file.tell() - start
        self._file.seek(start)
        self._start = start
        self._length = len(head) + self._file_size + len(self._parts[2])  # type: ignore[arg-type]
        self._index = 0
        self._offset = 0

    def __len__(self) -> int:
        return self._length

    def rewind(self) -> None:
        """Back to the start, to send the body again (after a refresh or a 429)."""
        self._index = 0
        self._offset = 0
        self._file.seek(self._start)

    def read(self, size: int = -1) -> bytes:
        out = b""
        while self._index < len(self._parts) and (size < 0 or len(out) < size):
            want = -1 if size < 0 else size - len(out)
            part = self._parts[self._index]
            if isinstance(part, bytes):
                chunk = part[self._offset:] if want < 0 else part[self._offset:self._offset + want]
                self._offset += len(chunk)
                if self._offset >= len(part):
                    self._index, self._offset = self._index + 1, 0
            else:
                chunk = part.read(64 * 1024 if want < 0 else want)
                if not chunk:
                    self._index, self._offset = self._index + 1, 0
            out += chunk
        return out

    def close(self) -> None:
        if self._owned and not self._file.closed:
            self._file.close()
