# The two commands a new user needs:
#   make demo   install, load the demo data into ./orderhub-demo.db and serve on http://127.0.0.1:8000
#   make test   install everything and run the whole test suite (needs PostgreSQL and Redis)

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
DEMO_CONFIG := examples/demo.toml

.PHONY: install demo test lint bench

$(UV):
	python3 -m pip install --user --quiet uv

install: $(UV)
	$(UV) sync --all-packages --frozen

demo: install
	$(UV) run orderhub --config $(DEMO_CONFIG) demo
	$(UV) run orderhub --config $(DEMO_CONFIG) serve

test: install
	scripts/test-prerequisites
	$(UV) run pytest

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run mypy
