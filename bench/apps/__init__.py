"""The ASGI apps ``bench/bench_http.py`` serves: gatepass's routes built from the library."""
