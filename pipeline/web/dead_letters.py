"""Dead letters, grouped by integration and error type; retry or discard a group, a selection, one.

Actions are POSTs (CSRF-checked by ``pipeline.web.security``) with a JSON body naming what to act
on, the same selection ``connector dead-letters retry|discard`` takes::

    {"letters": [{"integration": "...", "key": "..."}, ...]}     one, or a selection
    {"integration": "...", "error_type": "...", "stage": "...", "run": "...", "q": "..."}
                                                   a group, or the page's filters (at least one)
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from pipeline.web.formats import payload_text
from pipeline.web.params import RUN_ID

blueprint = Blueprint("dead_letters", __name__)

#: Most dead letters one page or one action reads.
LIMIT = 10_000
#: Letters listed under each group on the page (the counts are always whole).
SHOWN_PER_GROUP = 100
STAGES = ("extract", "map", "load")


def filters(given=None) -> dict:
    """The filters of the page's query string, or of an action's JSON body (``given``), each checked."""
    console = current_app.config["console"]
    given = request.args if given is None else given
    chosen = {}
    for name, limit in (("error_type", 120), ("run", 80), ("q", 200)):
        value = given.get(name) or None
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            abort(400, f"{name} must be text of at most {limit} characters.")
        chosen[name] = value.strip() if value else None
    if chosen["run"] and not RUN_ID.match(chosen["run"]):
        abort(400, f"Invalid run id {chosen['run']!r}.")
    for name, allowed in (("integration", console.integration_names()), ("stage", STAGES)):
        value = given.get(name) or None
        if value is not None and value not in allowed:
            abort(400, f"Unknown {name} {value!r}. Known values: {', '.join(allowed)}.")
        chosen[name] = value
    return chosen


def matching(chosen: dict) -> list:
    store = current_app.config["console"].books.dead_letters
    letters = store.list(integration=chosen["integration"], run_id=chosen["run"], error_type=chosen["error_type"],
                         limit=LIMIT)
    if chosen["stage"]:
        letters = [letter for letter in letters if letter.failure.stage == chosen["stage"]]
    if chosen["q"]:
        needle = chosen["q"].lower()
        letters = [letter for letter in letters
                   if needle in letter.failure.key.lower() or needle in letter.failure.error.lower()]
    return letters


def letter_view(letter) -> dict:
    secrets = current_app.config["console"].books.secrets
    failure = letter.failure
    return {"integration": letter.integration, "key": failure.key, "stage": failure.stage,
            "error_type": failure.error_type, "error": failure.error, "problems": failure.problems,
            "payload": payload_text(failure.record, secrets), "run_id": letter.run_id,
            "failed_at": letter.failed_at, "attempts": letter.attempts, "retries": sum(
                1 for event in letter.history if event.get("event") == "retried")}


def grouped(letters: list, chosen: dict) -> list[dict]:
    """Groups by integration and error type, each with the selection that acts on the whole group."""
    groups: dict[tuple[str, str], dict] = {}
    for letter in letters:  # newest first, so each group's first letter is its latest
        selection = {**{k: v for k, v in chosen.items() if v}, "integration": letter.integration,
                     "error_type": letter.failure.error_type}
        group = groups.setdefault((letter.integration, letter.failure.error_type), {
            "integration": letter.integration, "error_type": letter.failure.error_type, "count": 0,
            "selection": selection,
            "latest_at": letter.failed_at, "sample_error": letter.failure.error, "letters": []})
        group["count"] += 1
        if len(group["letters"]) < SHOWN_PER_GROUP:
            group["letters"].append(letter_view(letter))
    return sorted(groups.values(), key=lambda g: (-g["count"], g["integration"], g["error_type"]))


@blueprint.get("/dead-letters")
def dead_letters_page():
    chosen = filters()
    letters = matching(chosen)
    return render_template("dead_letters.html", groups=grouped(letters, chosen), total=len(letters), chosen=chosen,
                           names=current_app.config["console"].integration_names(), stages=STAGES)


@blueprint.get("/api/dead-letters")
def dead_letters_api():
    chosen = filters()
    letters = matching(chosen)
    return jsonify({"filters": chosen, "total": len(letters), "groups": grouped(letters, chosen)})


def selected() -> list:
    """The dead letters a POST names (see the module's docstring); 400 for a body naming nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object: {\"letters\": [{\"integration\": ..., \"key\": ...}]} or filters.")
    console = current_app.config["console"]
    store = console.books.dead_letters
    if "letters" in body:
        named = body["letters"]
        if not isinstance(named, list) or not named or not all(
                isinstance(item, dict) and isinstance(item.get("integration"), str)
                and isinstance(item.get("key"), str) for item in named):
            abort(400, "letters must be a non-empty list of {\"integration\": ..., \"key\": ...}.")
        found = [store.get(item["integration"], item["key"]) for item in named
                 if item["integration"] in console.integrations]
        return [letter for letter in found if letter is not None]
    chosen = filters(body)
    if not any(chosen.values()):
        abort(400, "Name the letters, or at least one of integration, error_type, stage, run, q.")
    return matching(chosen)


@blueprint.post("/api/dead-letters/retry")
def retry():
    letters = selected()
    started = current_app.config["console"].retry(letters) if letters else {}
    return jsonify({"retried": len(letters), "runs": started,
                    "message": f"Retried {len(letters)} dead letter(s)" + (
                        ": " + ", ".join(f"{name} in run {run_id}" for name, run_id in started.items())
                        if started else ".")})


@blueprint.post("/api/dead-letters/discard")
def discard():
    letters = selected()
    count = current_app.config["console"].discard(letters)
    return jsonify({"discarded": count, "message": f"Discarded {count} dead letter(s)."})
