#!/usr/bin/perl -p
# Adapts a page of swift-argument-parser's generate-manual (pra.drill.run.1) to the name it is
# installed under (pra-drill-run.1), as git's pages are: title and cross references use dashes,
# NAME says pra-drill-run (what whatis/apropos index), SYNOPSIS keeps "pra drill run" (what one
# types). Blank lines, paragraph breaks in mdoc, become .Pp (groff warns on empty input lines).
BEGIN { our $command; }
our $command;
s/^(\.(?:Dt|Xr)\s+)(pra(?:\.[a-z][a-z0-9-]*)+)/$1 . ($2 =~ tr{.}{-}r)/e;
s/^(\.Dt\s+)(PRA(?:\.[A-Z][A-Z0-9-]*)+)/$1 . ($2 =~ tr{.}{-}r)/e;
if (!defined $command && /^\.Nm "([^"]+)"$/) {
    $command = $1;
    $_ = ".Nm " . ($command =~ tr{ }{-}r) . "\n";
} elsif (defined $command && /^\.Nm$/) {
    $_ = ".Nm \"$command\"\n";
}
$_ = ".Pp\n" if /^\s*$/;
