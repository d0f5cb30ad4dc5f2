"""Adapters that plug the assistant into tools people already use.

* :mod:`assistant.integrations.langchain_retriever` — a LangChain ``BaseRetriever``;
* :mod:`assistant.integrations.mcp_server` — an MCP server (``python -m assistant mcp``);
* :mod:`assistant.integrations.openai_server` — an OpenAI-compatible chat endpoint
  (``python -m assistant serve-openai``).

All three are thin shells over :class:`assistant.integrations.tools.IntegrationTools`, which
calls the same services as the CLI and the web app. Nothing here is imported by the rest of the
package, so ``mcp``, starlette and uvicorn load only when an adapter is used.
"""
