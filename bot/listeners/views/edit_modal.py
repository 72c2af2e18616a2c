"""Submitting the Edit… modal (issue #8): bad input is refused next to its field; valid input
closes the modal and becomes an edit job whose images go to the result's thread."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.edit_modal import IMAGE, EditModalContext, chosen_image
from bot.edits import Instruction, check_instruction, edit_job, edit_request
from bot.errors import UserInputError
from bot.jobs import Destination
from bot.listeners.common import services_of, settings_of
from bot.listeners.conversation import submit
from bot.modal import PROMPT, field_errors, read_submission


async def submit_edit_modal(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Validate the instruction, image and options, close the modal, find the result's thread
    and start the edit."""
    services = services_of(context)
    settings = await settings_of(services, context)
    modal = EditModalContext.load(str(view.get("private_metadata") or ""))
    user_id = str((body.get("user") or {}).get("id") or "")
    if modal is None or not user_id:
        await ack(response_action="errors", errors={PROMPT: messages.MALFORMED_REQUEST})
        return
    turn = await services.threads.get(modal.job_id)
    if turn is None:
        expired = messages.edit_expired(settings.conversation_retention_days)
        await ack(response_action="errors", errors={PROMPT: expired})
        return
    values = (view.get("state") or {}).get("values") or {}
    try:
        text, options = read_submission(values, max_images=settings.max_images)
        instruction = Instruction(
            check_instruction(text, settings.prompt_max_chars),
            options,
            chosen_image(values, modal, len(turn.images)),
            named=True,
        )
        edit_request(instruction.text, instruction.options, turn, settings)  # validates
    except UserInputError as exc:
        errors = {IMAGE: exc.text} if exc.field == IMAGE else field_errors(exc)
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    root = await services.threads.root_of(client, turn)
    destination = Destination(
        team_id=turn.team_id,
        enterprise_id=context.enterprise_id,
        channel_id=turn.channel_id,
        user_id=user_id,
        thread_ts=root,
        response_url=modal.response_url,
    )
    if root is None:
        await notify(client, destination, messages.RESULT_NOT_LOCATED)
        return
    job = edit_job(client, turn, instruction, destination, settings)
    await submit(services, client, job, settings)
