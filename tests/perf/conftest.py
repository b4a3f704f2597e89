# The benchmark is run by `bash tests/perf/run.sh`, never by pytest (minutes, needs nginx/wrk).
collect_ignore_glob = ["*"]
