// The container health check of the socket-proxy stand-in: exits 0 when the proxy (started with
// -allowhealthcheck) reports that it reaches its socket, as upstream's ./healthcheck does.
package main

import (
	"net/http"
	"os"
	"time"
)

func main() {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:55555/health")
	if err != nil {
		os.Exit(1)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}
