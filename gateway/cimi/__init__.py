"""The DMTF CIMI 1.x front end: CloudEntryPoint, collections, JSON and XML, $filter/$select/$expand.

It arrives with its own issue; until then nothing is mounted for it in ``gateway.app``.
"""
