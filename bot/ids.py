"""Identifiers shared by the listeners and the Block Kit builders: the slash command, action, callback and block IDs."""

COMMAND = "/incident"

NOMINATE_ACTION = "nominate_communicator"
NOMINATE_BLOCK_PREFIX = "nominate:"

DECLARE_VIEW = "declare_incident"
SEVERITY_BLOCK = "severity"
SEVERITY_ACTION = "severity_select"
TITLE_BLOCK = "title"
TITLE_ACTION = "title_input"
IMPACT_BLOCK = "impact"
IMPACT_ACTION = "impact_input"
COMMUNICATOR_BLOCK = "communicator"
COMMUNICATOR_ACTION = "communicator_select"
INTERNAL_BLOCK = "internal"
INTERNAL_ACTION = "internal_check"
INTERNAL_VALUE = "internal"
COMPONENT_BLOCK_PREFIX = "component:"  # + the component's name: one select per component (declare and update)
COMPONENT_ACTION = "component_status"

APPROVE_ACTION = "entry_approve"
EDIT_ACTION = "entry_edit"
REJECT_ACTION = "entry_reject"
CORRECT_ACTION = "entry_correct"

UPDATE_VIEW = "draft_update"
EDIT_VIEW = "edit_draft"
CORRECT_VIEW = "correct_entry"
TEXT_BLOCK = "text"
TEXT_ACTION = "text_input"
PHASE_BLOCK = "phase"
PHASE_ACTION = "phase_select"
CAUSE_BLOCK = "cause"
CAUSE_ACTION = "cause_input"
REJECT_VIEW = "reject_draft"
REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"

REMINDER_DRAFT_ACTION = "reminder_draft_update"
NO_NEWS_ACTION = "draft_no_new_information"

EMAIL_SENT_ACTION = "followup_email_sent"
CREDITS_OFFERED_ACTION = "followup_credits_offered"
CREDITS_NOT_OWED_ACTION = "followup_credits_not_owed"
POSTMORTEM_ACTION = "followup_postmortem_link"
POSTMORTEM_VIEW = "postmortem_link"
URL_BLOCK = "url"
URL_ACTION = "url_input"

PREVENTION_ACTION = "followup_email_prevention"
PREVENTION_VIEW = "email_prevention"
PREVENTION_BLOCK = "prevention"
PREVENTION_INPUT = "prevention_input"


# Block IDs that carry what their buttons act on (the listeners read the button's value, or the nomination prefix).
def nomination_block(incident_id: int) -> str:
    """The lead's communicator picker for one incident."""
    return f"{NOMINATE_BLOCK_PREFIX}{incident_id}"


def component_block(name: str) -> str:
    """The select for one component's status in the declare and update modals."""
    return f"{COMPONENT_BLOCK_PREFIX}{name}"


def draft_buttons(entry_id: int) -> str:
    """Approve / Edit / Reject under a draft card."""
    return f"entry:{entry_id}"


def posted_buttons(entry_id: int) -> str:
    """Correct under an approved entry in the war room."""
    return f"posted:{entry_id}"


def reminder_buttons(incident_id: int) -> str:
    """The one-click button under a cadence reminder."""
    return f"remind:{incident_id}"


def follow_up_buttons(incident_id: int, number: int) -> str:
    """The buttons of one line of the follow-up checklist."""
    return f"follow_up:{incident_id}:{number}"
