"""The lead pages, one module per business step; urls.py finds them here."""

from .assignment import (
    assignment_board,
    inbox_page,
    lead_accept_view,
    lead_assign_view,
    lead_decline_view,
    lead_reassign_request_view,
    rep_profile_page,
    team_profile_page,
)
from .followup import followups_page, lead_followup_view, supervision_page
from .imports import import_batch_page, import_errors, import_page, import_template
from .leads import customer_lead_history, lead_new, lead_page, lead_verify_view
from .lists import leads_bulk, leads_page
from .merges import merge_undo_view, merges_page
from .pool import lead_claim_view, pool_page
from .scoring import lead_event_view, lead_priority_view, prediction_page, score_rules_page
from .settings import lead_settings_page
from .stages import lead_stage_view, stage_board
from .tags import lead_tags_view
from .webform import public_form

__all__ = [
    "assignment_board",
    "customer_lead_history",
    "followups_page",
    "import_batch_page",
    "import_errors",
    "import_page",
    "import_template",
    "inbox_page",
    "lead_accept_view",
    "lead_assign_view",
    "lead_claim_view",
    "lead_decline_view",
    "lead_event_view",
    "lead_followup_view",
    "lead_new",
    "lead_page",
    "lead_priority_view",
    "lead_reassign_request_view",
    "lead_settings_page",
    "lead_stage_view",
    "lead_tags_view",
    "lead_verify_view",
    "leads_bulk",
    "leads_page",
    "merge_undo_view",
    "merges_page",
    "pool_page",
    "public_form",
    "rep_profile_page",
    "prediction_page",
    "score_rules_page",
    "stage_board",
    "supervision_page",
    "team_profile_page",
]
