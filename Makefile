# modagg: `make run` exports the bundled example, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/modulus_sym_sweep/multirun

.PHONY: run test test-main test-compat proto bench fuzz clean

$(BIN)/modagg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(BIN)/modagg
	$(BIN)/python -m pip install -q -r requirements-test.txt
	touch $@

run: $(BIN)/modagg
	$(BIN)/modagg export $(EXAMPLE)

test: test-main test-compat

# Everything, compared with TensorBoard's reader and real writers.
test-main: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

# The oldest and the newest supported protobuf runtime, on the oldest and newest Python.
test-compat:
	bash .ci/compat 3.9 'protobuf==3.20.3'
	bash .ci/compat 3.13 'protobuf>=7,<8'

# modagg against tbparse and TensorBoard's EventMultiplexer on generated experiments.
bench: $(VENV)/.test-deps
	$(BIN)/python -m pip install -q tbparse pandas
	$(BIN)/python bench/bench.py

# A long property-test campaign on the record reader.
fuzz: $(VENV)/.test-deps
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_records_fuzz.py

# Regenerate modagg/event_pb2.py. protoc 21 (grpcio-tools 1.49) writes code that
# imports on every protobuf runtime from 3.20 to 7.x; newer protoc does not.
proto:
	$(PYTHON) -m venv .venv-proto
	.venv-proto/bin/python -m pip install -q grpcio-tools==1.49.1
	.venv-proto/bin/python -m grpc_tools.protoc -Iproto --python_out=. proto/modagg/event.proto

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .hypothesis
