# The README's two commands: `make run` and `make test`. Both do all set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
# Debian packages the tests need: a real X server for the end-to-end window test, the
# xcb libraries Qt's xcb platform plugin loads, strace (the no-network test), a real PACS
# (Orthanc with its DICOMweb plugin) for the PACS tests and dcmtk's getscu for their baseline.
APT_PACKAGES := xvfb xauth fonts-wqy-microhei libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-cursor0 libegl1 libgl1 libfontconfig1 \
	libdbus-1-3 fonts-dejavu-core libxcb-randr0 libxcb-xfixes0 libxcb-sync1 libx11-xcb1 \
	pigz desktop-file-utils shared-mime-info strace orthanc orthanc-dicomweb dcmtk
SYSSTAMP := $(VENV)/.system-$(shell echo $(APT_PACKAGES) | md5sum | cut -c1-12)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install system-packages run test lint typecheck bench evaluate fuzz bundle clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	# torch first, pinned: the local CPU wheel (any other version pulls CUDA packages).
	$(PY) -m pip install -q 'torch==2.13.0'
	# llama-cpp-python compiles llama.cpp: portably (no -march=native), its CPU backend for
	# four x86-64 levels chosen at run time, without what RadAssist does not load.
	$(PY) scripts/build_llama_cpp.py
	$(PY) -m pip install -q -e '.[dev,build]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

$(SYSSTAMP): | $(PY)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing system packages: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	rm -f $(VENV)/.system-* && touch $(SYSSTAMP)

install: $(STAMP) $(SYSSTAMP)
	$(PY) scripts/translations.py build  # the .ts/.po catalogues compiled (no-op when current)

run: install
	$(VENV)/bin/radassist

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy's cache is kept beside the user's other caches, like pip's: a fresh clone checks in
# seconds what took ~75-100 s from cold (the cache is checked against each file's hash).
MYPY_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/radassist/mypy

typecheck: install
	$(VENV)/bin/mypy --cache-dir "$(MYPY_CACHE)"

# The bundle is rebuilt whenever anything it is made of changed, so the artefact tested is
# always the one built from the tree under test (a fresh clone always builds it).
BUNDLE_INPUTS := $(shell git ls-files core desktop resources packaging build.spec pyproject.toml \
	scripts/build_bundle.py scripts/third_party_licenses.py scripts/licences \
	scripts/translations.py 2>/dev/null)
BUNDLE_INFO := dist/build-info.json

$(BUNDLE_INFO): $(BUNDLE_INPUTS) | install
	$(PY) scripts/build_bundle.py

bundle: $(BUNDLE_INFO)

# Every check, then the tests. The bundle is built while the tests that do not need it
# run (PyInstaller keeps one core busy, the tests the other: ~5 minutes saved on 2 cores),
# and the bundle tests (tests/bundle) run against dist/ as soon as it is built, still
# beside the others (the build ends minutes before them), failing rather than skipping
# when it is missing; then mypy (seconds with its kept cache, ~75 s from cold) and the
# side tests run on that core too. The side tests are self-contained files moved out of
# the main run to even the two lanes (the fuzz test, ~70 s beside the build); both cores
# are busy until the end, so moving more only lengthens this lane. Their output is shown
# after the other tests, whatever happened; any failure fails the run.
PYTEST := QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q -p no:cacheprovider -m "not evaluation"
SIDE_TESTS := tests/core/test_fuzz.py

test: lint
	@mkdir -p build; rm -f build/bundle-tests.log build/typecheck.log build/side-tests.log
	@( $(MAKE) --no-print-directory bundle > build/bundle.log 2>&1; built=$$?; \
	  if [ $$built -eq 0 ]; then \
	    RADASSIST_REQUIRE_BUNDLE=1 $(PYTEST) tests/bundle > build/bundle-tests.log 2>&1; \
	    built=$$?; \
	  else echo "make bundle failed ($$built)" > build/bundle-tests.log; fi; \
	  $(MAKE) --no-print-directory typecheck > build/typecheck.log 2>&1; typed=$$?; \
	  $(PYTEST) $(SIDE_TESTS) > build/side-tests.log 2>&1; side=$$?; \
	  for code in $$built $$typed $$side; do if [ $$code -ne 0 ]; then exit $$code; fi; done ) & \
	builder=$$!; \
	$(PYTEST) --ignore=tests/bundle $(addprefix --ignore=,$(SIDE_TESTS)); tests=$$?; \
	wait $$builder; bundled=$$?; \
	echo "--- make typecheck (beside the tests) ---"; cat build/typecheck.log; \
	echo "--- make bundle (built beside the tests) ---"; cat build/bundle.log; \
	echo "--- tests/bundle (run beside the tests once the bundle was built) ---"; \
	cat build/bundle-tests.log; \
	echo "--- side tests: $(SIDE_TESTS) (beside the tests, after the bundle's) ---"; \
	cat build/side-tests.log; \
	if [ $$tests -ne 0 ]; then exit $$tests; fi; exit $$bundled

# The recorded evaluations reproduced in full (minutes each); `make test` runs their quick forms.
evaluate: install
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q -p no:cacheprovider -m evaluation

bench: install
	$(PY) bench/bench_load.py
	$(PY) bench/bench_viewer.py
	$(PY) bench/bench_mpr.py
	$(PY) bench/bench_analysis.py
	$(PY) bench/bench_report.py
	$(PY) bench/bench_report_panel.py
	$(PY) bench/bench_engines.py
	$(PY) bench/bench_grounding.py
	$(PY) bench/bench_archive.py
	$(PY) bench/bench_archive_window.py
	$(PY) bench/bench_pacs.py
	$(MAKE) bundle
	$(PY) bench/bench_bundle.py

# Thousands of mutated DICOM files through scan, load, render and analyze (tests/core/fuzzing.py).
fuzz: install
	$(PY) -m tests.core.fuzzing --count 3000 --seed 0

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
