package collectors

import (
	"fmt"
	"os"
	"strings"
)

// Secret reads a credential from file when set (a mounted secret), else from the
// environment variable env. field names the config field in errors. Surrounding
// whitespace is trimmed: secret files usually end with a newline.
func Secret(field, file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", field, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s_file: %s is empty", field, file)
		}
		return s, nil
	}
	if env != "" {
		if s := strings.TrimSpace(os.Getenv(env)); s != "" {
			return s, nil
		}
		return "", fmt.Errorf("%s: neither %s_file nor $%s is set", field, field, env)
	}
	return "", fmt.Errorf("%s: set %s_file or %s_env", field, field, field)
}
