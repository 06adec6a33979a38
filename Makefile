# Two set-up commands: `make demo` (the main job on sample data) and `make test`.
# Each builds its own virtual environment from nothing on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch pinned: a looser spec can pull a newer multi-GB CUDA build. On Linux the plain pin from PyPI is the CUDA
# build too: TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU build (README, Install).
TORCH_PIN := torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml examples/plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_PIN)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install -q -e ".[all,test]"
	# The example plug-in (docs/plugins.md) is installed so that the tests check it.
	$(BIN)/python -m pip install -q -e examples/plugin
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/landmarkset demo landmarkset-demo --overwrite

# Two test processes (pytest-xdist); WORKERS=1 runs them in this one.
WORKERS ?= 2

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(WORKERS)

# The fast lane for iteration (under 2 minutes): every test not marked slow (tests/conftest.py says which are).
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(WORKERS) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/extract_speed.py
	$(BIN)/python benchmarks/landmark_accuracy.py
	$(BIN)/python benchmarks/mediapipe_tasks.py $(if $(LEGACY_PYTHON),--legacy-python $(LEGACY_PYTHON))
	$(BIN)/python benchmarks/face_alignment_speed.py
	$(BIN)/python benchmarks/store_commit.py
	$(BIN)/python benchmarks/build_speed.py
	$(BIN)/python benchmarks/faceless_speed.py --backends dlib mediapipe face-alignment
	$(BIN)/python benchmarks/extract_speed.py --dask --backends dlib
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/train_budget.py
	$(BIN)/python benchmarks/explain_methods.py
	$(BIN)/python benchmarks/subtle_motion.py
	$(BIN)/python benchmarks/spotting_study.py
	$(BIN)/python benchmarks/several_faces.py

clean:
	rm -rf $(VENV) landmarkset-demo build *.egg-info
