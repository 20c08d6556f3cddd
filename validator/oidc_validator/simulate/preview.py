"""``check --simulate`` / ``bundle --simulate``: present the sample tokens to an in-process stand-in
configured from the package being produced, and report whether Qualys would accept them, as whom."""

from __future__ import annotations

from collections.abc import Sequence

from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.checks.base import token_label
from oidc_validator.errors import ValidatorError
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Catalogue, Finding, Severity
from oidc_validator.net.options import FetchOptions
from oidc_validator.simulate.config import config_from_files
from oidc_validator.simulate.serve import present

SIMULATE_CATALOGUE = Catalogue()
AREA = "simulate"
ACCEPTED = SIMULATE_CATALOGUE.register(
    "simulate_accepted",
    Severity.INFO,
    AREA,
    "The Qualys-side stand-in, configured from this onboarding package, accepts the sample token and maps it to the user.",
    "Nothing to fix.",
)
REJECTED = SIMULATE_CATALOGUE.register(
    "simulate_rejected",
    Severity.ERROR,
    AREA,
    "The Qualys-side stand-in, configured from this onboarding package, rejects the sample token (the reason is in the evidence).",
    "Fix what the reason names (the matching check finding says how), then run the check again.",
)
NOT_RUN = SIMULATE_CATALOGUE.register(
    "simulate_not_run",
    Severity.WARNING,
    AREA,
    "The simulation could not run: there is no sample token, or no onboarding package can be built from these inputs.",
    "Give a sample token (--token, --token-file, --client-id or --username) and fix the errors that stop the package.",
)
MAPPED_LABEL = "the Qualys user whose External ID is {}"


def simulate_findings(ctx: Context, findings: Sequence[Finding], *, fetch: FetchOptions) -> list[Finding]:
    """Build the package in memory (errors allowed), configure a stand-in from it, present each token."""
    if not ctx.inputs.tokens:
        return [NOT_RUN.finding("No sample token to present to the stand-in.", reason="no_token")]
    try:
        files = build_contents(ctx, findings, BundleOptions(allow_errors=True))
        users = {ctx.inputs.external_id: MAPPED_LABEL.format(ctx.inputs.external_id)} if ctx.inputs.external_id else {}
        config = config_from_files(files, users, fetch=fetch)
    except (BundleError, ValidatorError) as exc:
        return [NOT_RUN.finding(f"No onboarding package can be built: {exc.message}", reason=exc.code)]
    results: list[Finding] = []
    # An API client sends access tokens; ID tokens are for the client (their aud says so), so they are
    # presented only when no access token is at hand.
    presented = [t for t in ctx.inputs.tokens if t.kind != "id_token"] or list(ctx.inputs.tokens)
    for token in presented:
        label = token_label(token)
        decision = present(config, token.raw)
        evidence = {"token": label, "reason": decision.reason, "key_source": config.key_source}
        if decision.accepted:
            results.append(ACCEPTED.finding(f"Qualys would accept the {label} as {decision.user}.", user=decision.user, **evidence))
        elif decision.reason == "unknown_user" and not ctx.inputs.external_id:
            results.append(
                NOT_RUN.finding(
                    f"The stand-in accepts the {label}'s signature, issuer, audience and times; "
                    "give --external-id to test the user mapping.",
                    **evidence,
                )
            )
        else:
            results.append(REJECTED.finding(f"Qualys would reject the {label}: {decision.description}.", **evidence))
    return results
