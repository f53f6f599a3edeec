"""Random command sequences against one lead: after every step the lifecycle invariants hold
(a lead only becomes Qualified with its BANT checklist complete), and the lead rebuilt from its
stored events equals the lead in memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, IllegalTransition, QualificationRequirementsUnmet
from domain.lifecycle import ALLOWED, LeadCommand
from domain.picklists import LeadStatus
from tests.unit.conftest import in_memory_service, new_lead
from tests.unit.test_lifecycle import INVOKE

TERMINAL = {LeadStatus.CONVERTED, LeadStatus.MERGED}
C = LeadCommand
# Each sequence starts on one of the lifecycle's paths, so every status, conversion included,
# is reached often; a random tail then tries every command from there.
PATHS = [
    [],
    [C.CONTACT],
    [C.CONTACT, C.UPDATE_BANT, C.QUALIFY],
    [C.CONTACT, C.UPDATE_BANT, C.QUALIFY, C.CONVERT],
    [C.NURTURE],
    [C.DISQUALIFY],
    [C.MERGE],
]
SEQUENCES = st.tuples(st.sampled_from(PATHS), st.lists(st.sampled_from(list(C)), max_size=20)).map(
    lambda t: t[0] + t[1]
)


@settings(max_examples=150, deadline=None)
@given(SEQUENCES)
def test_any_command_sequence_keeps_the_invariants_and_replays_to_the_same_state(
    commands: list[LeadCommand],
) -> None:
    service = in_memory_service()
    lead = new_lead()
    service.save(lead)
    for command in commands:
        status, version = lead.status, lead.version
        try:
            INVOKE[command](lead)
        except IllegalTransition:
            assert status not in ALLOWED[command]
        except QualificationRequirementsUnmet as refused:
            assert refused.missing == lead.missing_bant != []
            assert (lead.status, lead.version) == (status, version)
        except DomainError:
            pass
        else:
            assert status in ALLOWED[command]
            if command is LeadCommand.QUALIFY:
                assert lead.status is LeadStatus.QUALIFIED and not lead.missing_bant, "qualified means BANT met"
        service.save(lead)
        if status in TERMINAL:
            assert (lead.status, lead.version) == (status, version), "terminal leads never change"
        assert 0 <= lead.score <= 100
        assert lead.owner is None or lead.owner in lead.followers
        assert (lead.status is LeadStatus.MERGED) == (lead.merged_into is not None)
        assert (lead.status is LeadStatus.CONVERTED) == (lead.conversion is not None)
        if lead.conversion is not None:
            assert not lead.missing_bant
        assert service.repository.get(lead.id) == lead
        assert len(service.history(lead.id)) == lead.version
