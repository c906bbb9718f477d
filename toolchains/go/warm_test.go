// Fills the Go build cache (toolchains/prepare): `go test -c` of this file compiles
// testify and its dependencies and computes vet's facts for every package below and
// what they import. These are the packages a HumanEval-X test imports (its test_setup
// and CodeGeeX's IMPORT_HELPER["go"]) and MultiPL-E's Go prompts import (testing, fmt).
package main

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"math"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWarm(t *testing.T) {
	words := []string{strconv.Itoa(rand.Intn(10)), fmt.Sprint(math.Sqrt(4))}
	sort.Strings(words)
	sum := md5.Sum(bytes.ToUpper([]byte(strings.Join(words, ""))))
	assert.True(t, regexp.MustCompile(`^[0-9a-f]+$`).MatchString(fmt.Sprintf("%x", sum)))
	assert.Less(t, time.Duration(0), time.Second)
}
