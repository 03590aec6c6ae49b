# make demo: set up everything on a fresh Debian machine and run the main job.
# make test: set up everything and run the test suite (slow tests: make test-slow).
VENV := .venv
STAMP := $(VENV)/.setup-done

.PHONY: setup demo test test-slow clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(VENV)/bin/audiopalm demo

test: setup
	$(VENV)/bin/python -m pytest -q

test-slow: setup
	$(VENV)/bin/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs .pytest_cache
