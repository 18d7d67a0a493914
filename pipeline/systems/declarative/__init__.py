"""REST systems described in YAML: a file in ``systems/`` (beside ``mappings/``) instead of Python.

A system file describes a JSON REST API; its name (or ``name:``) is the system's name in mapping
files, and ``{NAME}`` placeholders are the connection's ``PIPELINE_<CONNECTION>_NAME`` variables::

    description: Shopify Admin REST API
    base_url: "{URL}/admin/api/2024-01"
    auth: {type: api_key, in: header, name: X-Shopify-Access-Token, value: "{TOKEN}"}
    errors: {message: errors, retryable: [429, 500, 502, 503, 504]}
    limits: {concurrency: 2, requests: 40, window_s: 1}
    entities:
      customer:
        id: id                                  # JMESPath to the record's own id
        key: email                              # JMESPath to its natural key (runs by reference)
        updated_at: updated_at                  # JMESPath to its change time (the cursor)
        list:
          path: /customers.json
          records: customers                    # JMESPath to the page's records
          pagination: {type: link_header, size_param: limit}
          incremental: {param: updated_at_min, format: iso}
        load:
          body: "{email: data.email, first_name: data.first_name}"   # JMESPath over {key, data, native}
          wrap: customer                        # {"customer": body}
          lookup: {path: /customers/search.json, params: {query: "email:{key}"}, records: customers}
          create: {method: POST, path: /customers.json}
          update: {method: PUT, path: "/customers/{id}.json"}

Auth types: ``api_key`` (``in: header|query``, ``name``, ``value``), ``basic`` (``username``,
``password``), ``bearer`` (``token``), ``oauth2_client_credentials`` (``token_url``, ``client_id``,
``client_secret``, ``scope``), ``oauth1`` (``consumer_key``, ``consumer_secret``, ``token``,
``token_secret``; HMAC-SHA256). Pagination types: ``page_number`` (``page_param``, ``start``),
``offset`` (``offset_param``), ``cursor`` (``cursor`` JMESPath, ``cursor_param``), ``link_header``,
``next_url`` (``next`` JMESPath); each with an optional ``size_param`` and, for page and offset
paging, ``total`` (JMESPath). Runs by reference: ``list.refs`` (``param`` = the keys joined by
``separator``, with ``params``), else the listing filtered by ``key``. Writes: ``upsert`` (one call), or ``create`` plus ``lookup`` and
``update`` (``{id}`` in the path, ``id_field`` to put it in the body too). Nested lists of the body
(``load.lists.<name>``: ``items`` JMESPath over ``{key, data, native}``, each built by ``body`` over
``{item, refs}``; ``references`` read reference records by a path of the item's fields and match one;
``stored`` keeps the ids of items already stored on update), as ``systems/magento2_rest.yaml`` writes
a customer's addresses with their regions (``nested``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import SystemFileError
from pipeline.systems.declarative.schema import load_system_file
from pipeline.systems.declarative.spec import SystemSpec
from pipeline.systems.declarative.system import DeclaredSystem

#: path -> (modification time, spec): mapping files and connections name a system many times over, and
#: a worker reads each file once; a changed file is read again (the command line edits them).
_cache: dict[Path, tuple[float, SystemSpec]] = {}


def systems_dir(mappings_dir: str | Path) -> Path:
    """The folder of system files: ``systems/`` beside the mappings folder."""
    return Path(mappings_dir).absolute().parent / "systems"


def find_system_file(name: str, directory: Path) -> Path | None:
    for suffix in (".yaml", ".yml"):
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def declared_names(directory: Path) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.y*ml")) if directory.is_dir() else []


def declared_spec(name: str, directory: Path) -> SystemSpec | None:
    """The loaded system file ``name`` in ``directory`` (read again when it changed), or None.

    Raises:
        SystemFileError: the file exists and is invalid.
    """
    path = find_system_file(name, directory)
    if path is None:
        return None
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        _cache[path] = (mtime, load_system_file(path))
    return _cache[path][1]


def build_declared(name: str, connection: str, environ: Mapping[str, str]) -> DeclaredSystem | None:
    """The declared system ``name`` for a connection, from the systems folder beside PIPELINE_MAPPINGS_DIR."""
    spec = declared_spec(name, systems_dir(environ.get("PIPELINE_MAPPINGS_DIR") or "mappings"))
    return None if spec is None else DeclaredSystem.build(spec, connection, environ)


def reference_problems(name: str, direction: str, entity: str, mappings_dir: Path) -> list[str] | None:
    """What is wrong with a mapping file's use of the declared system ``name``; None: no such file.

    ``direction`` is ``source`` (the entity must have a ``list``) or ``target`` (a ``load``).
    """
    directory = systems_dir(mappings_dir)
    try:
        spec = declared_spec(name, directory)
    except SystemFileError as error:
        return [str(error).replace("\n", " ")]
    if spec is None:
        return None
    needed = "list" if direction == "source" else "load"
    declared = spec.entities.get(entity)
    if declared is None or (declared.listing if needed == "list" else declared.loading) is None:
        able = sorted(n for n, e in spec.entities.items() if (e.listing if needed == "list" else e.loading))
        return [f"System {name!r} ({spec.path}) declares no '{needed}' for entity {entity!r}. "
                f"Entities with one: {', '.join(able) or 'none'}."]
    return []


__all__ = ["DeclaredSystem", "SystemFileError", "SystemSpec", "build_declared", "declared_names", "declared_spec",
           "find_system_file", "load_system_file", "reference_problems", "systems_dir"]
