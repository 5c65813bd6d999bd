"""Knowledge gaps in the store: questions a brand's profile could not answer, counted and listed for the team.

A question is the caller's own words (it may say who they are), so it is not sealed under the box's own key (that
one seals the business profile: `appliance.storage.profiles`): each row is one caller's question to one brand,
sealed under that caller's data key and bound to its brand and to which question it counts as: erasing the
caller removes their questions, and their export includes them. Repeats are
found by a blind index of the normalised question (`appliance.reception.gaps.question_key`, keyed by the box's
lookup key), so the list sums every caller's asks; each question shows in the wording it was last asked in.
"""

from __future__ import annotations

from typing import Any

from appliance.call.events import KnowledgeGap
from appliance.reception.gaps import question_key
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Sealer

_TABLE = "knowledge_gaps"
_INDEX_PURPOSE = "knowledge-gap"


def record_gap(sealer: Sealer, call_id: str, gap: KnowledgeGap) -> None:
    """Count one unanswered question of a call's caller, kept in its newest wording (in the caller's
    transaction)."""
    key = sealer.key_of_call(call_id)
    index = sealer.vault.text_index(_INDEX_PURPOSE, question_key(gap.question))
    sealed = sealer.seal(key, gap.question, _TABLE, index, "question", context={"brand": gap.brand})
    sealer.db.execute(
        "INSERT INTO knowledge_gaps (contact_id, brand, question_index, question, asked, first_asked, last_asked) "
        "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (contact_id, brand, question_index) DO UPDATE SET "
        "question = excluded.question, asked = asked + 1, last_asked = excluded.last_asked",
        [key[0], gap.brand, index, sealed, gap.at, gap.at])


def open_gaps(sealer: Sealer, brand: str | None = None, contact_id: str | None = None) -> list[dict[str, Any]]:
    """Each question (of one brand and/or one caller, or all) with its brand, count and last asked, most asked
    first; DecryptionError if a question was altered or moved to another row, brand or caller."""
    rows = dict_rows(sealer.db, "SELECT g.*, k.wrapped FROM knowledge_gaps g JOIN data_keys k "
                     "ON k.key_id = g.contact_id WHERE (?1 IS NULL OR g.brand = ?1) AND (?2 IS NULL OR "
                     "g.contact_id = ?2) ORDER BY g.last_asked DESC, g.contact_id", [brand, contact_id])
    gaps: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:  # newest first: a question's first row seen has its newest wording
        found = gaps.get((row["brand"], row["question_index"]))
        if found is not None:
            found["count"] += row["asked"]
            continue
        question = sealer.open((row["contact_id"], bytes(row["wrapped"])), row["question"], _TABLE,
                               row["question_index"], "question", context={"brand": row["brand"]})
        gaps[(row["brand"], row["question_index"])] = {"brand": row["brand"], "question": question,
                                                       "count": row["asked"], "last_asked": row["last_asked"]}
    return sorted(gaps.values(), key=lambda gap: (-gap["count"], -gap["last_asked"]))
