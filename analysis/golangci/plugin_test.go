package golangci

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	p, err := New(map[string]any{"disable": []string{"chanannot", "gosched"}})
	require.NoError(t, err)
	as, err := p.BuildAnalyzers()
	require.NoError(t, err)
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	assert.Len(t, names, 7)
	assert.NotContains(t, names, "chanannot")
	assert.NotContains(t, names, "gosched")
	assert.Equal(t, "typesinfo", p.GetLoadMode())

	_, err = New(map[string]any{"disable": []string{"nosuchrule"}})
	assert.EqualError(t, err, `custodyvet: no rule named "nosuchrule" to disable`)
	_, err = New(map[string]any{"enable": []string{"gostmt"}})
	assert.ErrorContains(t, err, "custodyvet: decoding settings")
	_, err = New(nil)
	assert.NoError(t, err)
}
