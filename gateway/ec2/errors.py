"""EC2's errors: a code, a message and an HTTP status, and the ones actions raise most often.

Core errors are not raised here; ``app`` translates them through ``translations.ec2``.
"""

from __future__ import annotations

from typing import Final

from core.errors import (
    Conflict,
    CoreError,
    InvalidArgument,
    InvalidState,
    NotFound,
    NotPermitted,
    QuotaExceeded,
)
from translations.ec2 import KEY_PAIR, KIND_IDS, IdKind, ref_of
from translations.errors import ANY, ec2_code
from translations.fields import ec2_field

AUTH_FAILURE_TEXT: Final = "AWS was not able to validate the provided access credentials"
DRY_RUN_TEXT: Final = "Request would have succeeded, but DryRun flag is set."


class Ec2Error(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid_value(name: str, value: object, why: str) -> Ec2Error:
    return Ec2Error(
        "InvalidParameterValue", f"Value ({value}) for parameter {name} is invalid. {why}"
    )


def missing(name: str) -> Ec2Error:
    return Ec2Error("MissingParameter", f"The request must contain the parameter {name}")


def combination(first: str, second: str) -> Ec2Error:
    return Ec2Error(
        "InvalidParameterCombination",
        f"The parameter {first} cannot be used with the parameter {second}",
    )


def malformed(kind: IdKind, text: str) -> Ec2Error:
    return Ec2Error(kind.malformed, f'Invalid id: "{text}" (expecting "{kind.prefix}-...")')


def not_found(kind: IdKind, shown: str) -> Ec2Error:
    return Ec2Error(kind.not_found, f"The {kind.noun} '{shown}' does not exist")


def dry_run() -> Ec2Error:
    return Ec2Error("DryRunOperation", DRY_RUN_TEXT, 412)


def auth_failure() -> Ec2Error:
    return Ec2Error("AuthFailure", AUTH_FAILURE_TEXT, 401)


def unsupported(what: str) -> Ec2Error:
    return Ec2Error("Unsupported", f"{what} is not supported by this endpoint.")


def _shown(kind: str, ref: str) -> str:
    """How EC2 shows the resource a core error names: ``i-<ref>`` for ids, names as they are."""
    id_kind = KIND_IDS.get(kind)
    if id_kind is None or id_kind is KEY_PAIR or ref_of(id_kind, f"{id_kind.prefix}-{ref}") is None:
        return ref
    return id_kind.render(ref)


def from_core(exc: CoreError) -> Ec2Error:
    """A core error in EC2's words: the code by kind of error and resource, a message that
    names the resource as the caller knows it."""
    match exc:
        case NotFound(kind=kind, ref=ref):
            id_kind = KIND_IDS.get(kind)
            if id_kind is not None:
                return Ec2Error(
                    id_kind.not_found, f"The {id_kind.noun} '{_shown(kind, ref)}' does not exist"
                )
            return Ec2Error("InvalidParameterValue", f"The {kind} '{ref}' does not exist")
        case (
            Conflict(kind=kind, ref=ref, reason=reason)
            | NotPermitted(kind=kind, ref=ref, reason=reason)
        ):
            code = ec2_code(exc.kind_of_error, kind)
            return Ec2Error(code.code, f"The {kind} '{_shown(kind, ref)}' {reason}", code.status)
        case InvalidState(kind=kind, ref=ref, state=state, action=action):
            code = ec2_code(exc.kind_of_error, kind)
            return Ec2Error(
                code.code,
                f"The {kind} '{_shown(kind, ref)}' is not in a state from which it can be"
                f" {action} (it is {state})",
                code.status,
            )
        case InvalidArgument(field=field, why=why):
            return Ec2Error(
                "InvalidParameterValue", f"Value for parameter {ec2_field(field)} is invalid: {why}"
            )
        case QuotaExceeded(resource=resource):
            code = ec2_code(exc.kind_of_error, resource)
            return Ec2Error(code.code, str(exc), code.status)
    code = ec2_code(exc.kind_of_error, ANY)
    return Ec2Error(code.code, str(exc), code.status)
