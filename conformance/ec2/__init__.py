"""Black-box conformance suite for the EC2 Query API.

It talks to the endpoint through botocore (the client boto3 and awscli are built on) and, for
the few checks of the raw wire, httpx with botocore's SigV4 signer, so it runs against any
EC2-compatible endpoint: ours, moto, LocalStack or AWS. It imports nothing from ``gateway``,
``core``, ``translations`` or ``tests``. How to run it: ``README.md`` here.
"""
