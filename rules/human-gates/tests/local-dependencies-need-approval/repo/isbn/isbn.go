// Package isbn checks and normalises ISBN-10 and ISBN-13 numbers.
package isbn

// Valid reports whether s is an ISBN-13 with a correct check digit.
func Valid(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return sum%10 == 0
}
