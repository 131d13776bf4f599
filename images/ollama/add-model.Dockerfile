# Adds one model (MODEL_NAME, from the Modelfile and model.gguf in the build context) to an Ollama image, created
# by that image's own server, into /root/.ollama so a fresh named volume mounted there starts with it. Works on
# the upstream image and on the offline build alike; needs no network and rebuilds nothing of Ollama.
ARG OLLAMA_IMAGE
FROM ${OLLAMA_IMAGE}
ARG MODEL_NAME
COPY model.gguf Modelfile /tmp/model/
WORKDIR /tmp/model
# The server lives only for this RUN; the client waits for it, creates the model, and the files go.
RUN export OLLAMA_HOST=127.0.0.1:11434; \
    /bin/ollama serve >/tmp/ollama-serve.log 2>&1 & \
    tries=0; \
    until /bin/ollama list >/dev/null 2>&1; do \
      tries=$((tries + 1)); \
      if [ "$tries" -gt 150 ]; then cat /tmp/ollama-serve.log; exit 1; fi; \
      sleep 0.2; \
    done; \
    /bin/ollama create "$MODEL_NAME" -f Modelfile \
 && /bin/ollama show "$MODEL_NAME" >/dev/null \
 && rm -rf /tmp/model /tmp/ollama-serve.log
WORKDIR /
# Lets `make dev` see, without starting anything, that this image can answer offline.
LABEL io.mcp-stack.offline-model=${MODEL_NAME}
