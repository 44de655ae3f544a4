# The two commands of the README: `make map` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?= seeds
OUT ?= output

.PHONY: map test lint bench assets clean

map: $(VENV)/.installed  ## install geomap and build $(OUT)/map.html from $(INPUT)/
	$(BIN)/geomap build $(INPUT) --out $(OUT)

test: $(VENV)/.installed-test  ## install test needs and run the tests and the linter
	$(BIN)/ruff check geomap tests bench scripts
	$(BIN)/ruff format --check geomap tests bench scripts
	$(BIN)/pytest

bench: $(VENV)/.installed  ## print the benchmarks' measurements
	$(BIN)/python bench/bench_gazetteer.py
	$(BIN)/python bench/bench_map.py
	cd bench && ../$(BIN)/python bench_rebuild.py

assets: $(VENV)/.installed  ## fetch (again) the files `geomap build --inline` puts into maps
	$(BIN)/python -m geomap.assets

# Installing also fetches, from the npm registry, the scripts that `geomap build --inline`
# puts into maps, so that such builds need no network later.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m geomap.assets
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT)/map.html $(OUT)/places.geojson $(OUT)/figures.csv \
		$(OUT)/movements.geojson $(OUT)/map.png $(OUT)/map.svg $(OUT)/embed.html \
		$(OUT)/.geomap-store.sqlite $(OUT)/.geomap-outputs.json $(OUT)/.geomap-image-*
