# modagg: `make run` exports the bundled example, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/modulus_sym_sweep/multirun

.PHONY: run test proto bench fuzz clean

$(BIN)/modagg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(BIN)/modagg
	$(BIN)/python -m pip install -q -r requirements-test.txt
	touch $@

run: $(BIN)/modagg
	$(BIN)/modagg export $(EXAMPLE)

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

# Regenerate modagg/event_pb2.py. protoc 21 (grpcio-tools 1.49) writes code that
# imports on every protobuf runtime from 3.20 to 7.x; newer protoc does not.
proto:
	$(PYTHON) -m venv .venv-proto
	.venv-proto/bin/python -m pip install -q grpcio-tools==1.49.1
	.venv-proto/bin/python -m grpc_tools.protoc -Iproto --python_out=. proto/modagg/event.proto

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .hypothesis
