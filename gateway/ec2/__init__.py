"""The AWS EC2 Query API front end: Query protocol, SigV2/SigV4, actions and XML rendering.

It arrives with its own issue; until then nothing is mounted for it in ``gateway.app``.
"""
