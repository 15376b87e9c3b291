"""Scaling out with Dask (docs/pipelines.md): a partitioned CSV read with ``dd.read_csv``, scored with
``map_partitions`` over ``stm_screen.score_table`` on a local cluster (two workers), gives exactly the rows
``stm-screen batch`` writes for the same files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_api import write_export

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")


def score_partition(part: Any) -> Any:
    """One file's records (``blocksize=None``: a partition per file), scored as ``batch`` scores that file."""
    import stm_screen

    if part.empty:
        return stm_screen.score_table("pt-screen", part.drop(columns="path"), file="")
    path = str(part["path"].iloc[0])
    return stm_screen.score_table("pt-screen", part.drop(columns="path"), file=path)


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

    import stm_screen

    meta = pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else str) for c in stm_screen.result_columns(file=True)})
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        frame = dd.read_csv(
            str(folder / "part-*.csv"),
            dtype=str,
            keep_default_na=False,  # every cell as the file holds it ('NA' is an answer to read, not NaN)
            blocksize=None,  # a partition per file: rows are numbered per file, as batch numbers them
            include_path_column="path",
        )
        assert frame.npartitions == 3
        scored = frame.map_partitions(score_partition, meta=meta)
        result = client.compute(scored).result()
    got = [[str(v) for v in row] for row in result.itertuples(index=False)]
    assert list(result.columns) == expected[0]
    order = {p: i for i, p in enumerate(paths)}
    got.sort(key=lambda r: (order[r[0]], int(r[1])))
    assert got == expected[1:]
    assert len(got) == 40 + 25 + 33
