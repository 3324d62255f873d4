// Command wsfanout measures WebSocket fan-out on a running Shakedown: it
// connects N clients to /api/v1/events, makes W writes through the API
// (each creates a configuration item with a unique name) and reports the
// time from sending each write to its event's delivery on every client.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "Shakedown base URL")
	token := flag.String("token", os.Getenv("SHAKEDOWN_TOKEN"), "API token")
	clients := flag.Int("clients", 200, "WebSocket clients")
	writes := flag.Int("writes", 50, "writes to make")
	gap := flag.Duration("gap", 40*time.Millisecond, "pause between writes")
	flag.Parse()

	wsURL := "ws" + strings.TrimPrefix(*base, "http") + "/api/v1/events?token=" + *token
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, *clients)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		conns[i] = c
	}
	for _, c := range conns {
		wg.Add(1)
		go func(c *websocket.Conn) {
			defer wg.Done()
			got := 0
			for got < *writes {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, data, err := c.ReadMessage()
				if err != nil {
					fmt.Fprintln(os.Stderr, "read:", err)
					return
				}
				now := time.Now()
				var ev struct {
					Type string
					Data struct{ Name string }
				}
				if json.Unmarshal(data, &ev) != nil || ev.Type != "ci.changed" {
					continue
				}
				mu.Lock()
				if t0, ok := sent[ev.Data.Name]; ok {
					lat = append(lat, now.Sub(t0))
					got++
				}
				mu.Unlock()
			}
		}(c)
	}
	time.Sleep(500 * time.Millisecond)
	run := time.Now().UnixNano()
	for i := 0; i < *writes; i++ {
		name := fmt.Sprintf("fanout-%d-%d", run, i)
		body, _ := json.Marshal(map[string]string{"name": name, "kind": "vm", "environment": "bench", "criticality": "low"})
		req, _ := http.NewRequest("POST", *base+"/api/v1/cis", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		mu.Lock()
		sent[name] = time.Now()
		mu.Unlock()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			fmt.Fprintln(os.Stderr, "write failed:", err, resp)
			os.Exit(1)
		}
		resp.Body.Close()
		time.Sleep(*gap)
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	want := *clients * *writes
	if len(lat) != want {
		fmt.Printf("ws fan-out: only %d of %d deliveries arrived\n", len(lat), want)
		os.Exit(1)
	}
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("ws fan-out: %d clients x %d writes = %d deliveries; write→delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		*clients, *writes, len(lat), ms(pct(0.50)), ms(pct(0.99)), ms(lat[len(lat)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
