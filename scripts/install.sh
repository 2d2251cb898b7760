# Sourced by scripts/run and scripts/demo: create .venv and install cocreate into it
# (again only when pyproject.toml changed).
python3 -m venv .venv >/dev/null 2>&1 || true
if [ ! -x .venv/bin/cocreate ] || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
  touch .venv/.installed
fi
