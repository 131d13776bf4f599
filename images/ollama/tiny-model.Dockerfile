# Adds mcp-stack-tiny (make_tiny_model.py: random weights, plumbing tests only) to an Ollama image,
# created by that image's own server, into /root/.ollama so a fresh named volume mounted there starts
# with it. Works on the upstream image and on the offline build alike; needs no network.
ARG OLLAMA_IMAGE
FROM ${OLLAMA_IMAGE}
COPY mcp-stack-tiny.gguf Modelfile /tmp/mcp-stack-tiny/
WORKDIR /tmp/mcp-stack-tiny
# The server lives only for this RUN; the client waits for it, creates the model, and the files go.
RUN export OLLAMA_HOST=127.0.0.1:11434; \
    /bin/ollama serve >/tmp/ollama-serve.log 2>&1 & \
    tries=0; \
    until /bin/ollama list >/dev/null 2>&1; do \
      tries=$((tries + 1)); \
      if [ "$tries" -gt 150 ]; then cat /tmp/ollama-serve.log; exit 1; fi; \
      sleep 0.2; \
    done; \
    /bin/ollama create mcp-stack-tiny -f Modelfile \
 && /bin/ollama show mcp-stack-tiny >/dev/null \
 && rm -rf /tmp/mcp-stack-tiny /tmp/ollama-serve.log
WORKDIR /
