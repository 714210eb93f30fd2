DROP INDEX import_runs_file;
DROP TABLE import_runs;
