"""The published contract, in one home: what other services read from our topics and send to
intake. The envelope every reader sees, the CloudEvents mapping, the intake messages, the
notification messages, and the documents generated from them (JSON Schema, AsyncAPI, Markdown).

Pure mapping between events and bytes; the stores and brokers are reached by the adapters in
``infra`` through the ports declared in ``domain.ports``.
"""
