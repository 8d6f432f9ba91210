"""botocore's EC2 service model: the one source of parameter names, shapes and output layout.

Past EC2 façades hand-typed their parameter tables and fell behind the SDKs. Reading the model
that boto3 and awscli themselves serialise from keeps our wire names and shapes theirs.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import botocore.session
from botocore.model import OperationModel, ServiceModel

API_VERSION: Final = "2016-11-15"


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("ec2", api_version=API_VERSION)


def operation(name: str) -> OperationModel | None:
    """The model of an action by its exact (case-sensitive) name, as AWS matches it."""
    model = service_model()
    return model.operation_model(name) if name in model.operation_names else None
