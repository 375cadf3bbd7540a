package xlafix

import (
	"regexp"
)

// denseLiteral matches a StableHLO dense constant and its element type:
// dense<...> : tensor<...xTYPE>.
var denseLiteral = regexp.MustCompile(`dense<([^>]*)>\s*:\s*tensor<([^>]*)>`)

// validElements is what may appear between dense< and >: numbers (decimal,
// exponent, hex bit patterns), nan/inf, booleans, brackets and commas, and
// complex pairs in parentheses.
var validElements = regexp.MustCompile(`^[\s\[\](),0-9a-fA-FxX.+\-eE]*(true|false|nan|inf|[\s\[\](),0-9a-fA-FxX.+\-eE])*$`)

// validElementType is the element type at the end of a tensor type.
var validElementType = regexp.MustCompile(`(^|x)(i1|[su]?i(8|16|32|64)|ui(8|16|32|64)|bf16|f16|f32|f64|complex<f32>|complex<f64>)$`)

// findBadLiterals returns the dense constants of a StableHLO program text
// whose elements or element type a StableHLO parser would reject (the
// form of the bfloat16 failure: a placeholder written instead of a
// number). It is a syntactic check of the constants only, not a parser.
func findBadLiterals(program string) []string {
	var bad []string
	for _, m := range denseLiteral.FindAllStringSubmatch(program, -1) {
		if !validElements.MatchString(m[1]) || !validElementType.MatchString(m[2]) {
			bad = append(bad, m[0])
		}
	}
	return bad
}
