"""Scaling out with Dask (docs/pipelines.md): a partitioned CSV read with ``dd.read_csv``, scored with
``map_partitions`` over ``stm_screen.score_table`` on a local cluster (two workers), gives exactly the rows
``stm-screen batch`` writes for the same files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_api import write_export

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("pandas")


# Run in a child process: a Dask cluster leaves threads behind (its event loop), and a process with threads
# never forks (batch.parallel), which would change what later tests of this session see.
CLUSTER_SCRIPT = """
import json, sys
import dask.dataframe as dd
import distributed
import pandas as pd
import stm_screen


def score_partition(part):
    # One file's records (blocksize=None: a partition per file), scored as batch scores that file.
    if part.empty:
        return stm_screen.score_table("pt-screen", part.drop(columns="path"), file="")
    path = str(part["path"].iloc[0])
    return stm_screen.score_table("pt-screen", part.drop(columns="path"), file=path)


if __name__ == "__main__":
    pattern = sys.argv[1]
    columns = stm_screen.result_columns(file=True)
    meta = pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else str) for c in columns})
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        frame = dd.read_csv(
            pattern,
            dtype=str,
            keep_default_na=False,  # every cell as the file holds it ('NA' is an answer to read, not NaN)
            blocksize=None,  # a partition per file: rows are numbered per file, as batch numbers them
            include_path_column="path",
        )
        assert frame.npartitions == 3, frame.npartitions
        result = client.compute(frame.map_partitions(score_partition, meta=meta)).result()
    rows = [[str(v) for v in row] for row in result.itertuples(index=False)]
    json.dump({"columns": list(result.columns), "rows": rows}, sys.stdout)
"""


def test_dask_map_partitions_gives_the_batch_rows(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    paths = []
    for k, n in enumerate((40, 25, 33)):
        path = folder / f"part-{k}.csv"
        write_export(path, n=n, seed=10 + k)
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "stm_screen", "batch", *paths],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 1, done.stderr  # some records have errors (write_export makes them)
    expected = list(csv.reader(done.stdout.splitlines()))

    script = tmp_path / "score_with_dask.py"
    script.write_text(CLUSTER_SCRIPT, encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, str(script), str(folder / "part-*.csv")],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    got = result["rows"]
    assert result["columns"] == expected[0]
    order = {p: i for i, p in enumerate(paths)}
    got.sort(key=lambda r: (order[r[0]], int(r[1])))
    assert got == expected[1:]
    assert len(got) == 40 + 25 + 33
