"""A JSON array whose record is larger than the reading buffer (a million keys, a 16 MB cell) is decoded a
few times, not once per buffer chunk (issue 10, point 4: work bounded for the documented limits; a record
of a million fields took minutes). Checked by counting reads, never by timing."""

from __future__ import annotations

import io
import json
from pathlib import Path

from stm_screen.batch.readers import iter_json_array
from tests.batch_helpers import invoke


class CountingText(io.StringIO):
    reads = 0

    def read(self, size: int | None = -1) -> str:
        self.reads += 1
        return super().read(size)


def test_a_record_larger_than_the_buffer_is_read_in_a_few_growing_reads() -> None:
    big = {f"c{i}": i for i in range(20_000)}
    text = CountingText(json.dumps([big, {"a": 1}, {"b": "x" * 50_000}]))
    items = list(iter_json_array(text, "in.json", chunk=256))
    assert items[1] == {"a": "1"} or items[1] == {"a": 1}
    assert len(items) == 3 and len(items[0]) == 20_000 and len(items[2]["b"]) == 50_000
    size = len(text.getvalue())
    assert size // 256 > 1000  # one read per chunk would be more than a thousand
    assert text.reads < 60, text.reads


def test_a_record_of_a_million_fields_is_one_error_row(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    record = "{" + ",".join(f'"c{i}":1' for i in range(1_000_000)) + "}"
    path.write_text(f"[{record}]", encoding="utf-8")
    r = invoke(str(path))
    assert r.exit_code == 1, r.output
    assert "the record has 1,000,000 fields; at most 10,000 are read" in r.stderr
