module mcp-stack/socket-proxy-standin

go 1.24
