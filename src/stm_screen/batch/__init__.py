"""Batch scoring of survey exports: readers, platform presets, mapping files, the streaming runner, writers.

The pipeline: ``readers`` opens each input (CSV/TSV/JSON/JSONL/FHIR/XLSX) as a stream of rows or records,
``presets`` knows each survey platform's header layout, ``mapping`` reads the optional mapping file,
``columns`` resolves headers to questions once per file, ``values`` builds one converter per column,
``runner`` scores record after record and ``output`` writes each result as it goes.
"""

# True when this process is the stm-screen command itself (cli.main.main run from the console script or
# ``python -m stm_screen``), not a program calling the library: batch.columnar may then keep pyarrow from
# importing pandas (see columnar._spare_pandas), which would change pyarrow for the rest of a caller's process.
OWN_PROCESS = False
