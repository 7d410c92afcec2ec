# Writes the man page safer.1 from the built program's own help, so the page says what
# `safer --help` and `safer <command> --help` say (CLI11's text) and cannot drift from them.
# cmake -DSAFER=path/to/safer -DOUTPUT=safer.1 -DVERSION=0.1.0 -P manpage.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var SAFER OUTPUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "manpage.cmake: -D${var}=... is required")
  endif()
endforeach()

# roff: a backslash is \e; a line starting with . or ' would be a request, so \& goes first;
# a hyphen stays a hyphen (\-) where a command line is shown.
function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(help_of out)
  execute_process(COMMAND "${SAFER}" ${ARGN} --help OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "manpage.cmake: ${SAFER} ${ARGN} --help failed (${rc}): ${err}")
  endif()
  roff_escape("${text}" text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND "${SAFER}" --version OUTPUT_VARIABLE version_line OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "manpage.cmake: ${SAFER} --version failed")
endif()
roff_escape("${version_line}" version_line)

# The commands as `safer --help` lists them (its Subcommands section), so a new command gets its
# section without this file being told.
execute_process(COMMAND "${SAFER}" --help OUTPUT_VARIABLE raw_help RESULT_VARIABLE rc)
string(REGEX MATCH "Subcommands:\n(  [a-z]+[^\n]*\n)+" listed "${raw_help}")
string(REGEX MATCHALL "\n  [a-z]+ " names "${listed}")
set(commands)
foreach(n IN LISTS names)
  string(STRIP "${n}" n)
  list(APPEND commands "${n}")
endforeach()
list(LENGTH commands count)
if(count LESS 1)
  message(FATAL_ERROR "manpage.cmake: no commands in ${SAFER} --help")
endif()
help_of(main_help)
set(page ".TH SAFER 1 \"\" \"safer ${VERSION}\" \"User Commands\"
.SH NAME
safer \\- hotspot and situational crime\\-prevention analysis of police.uk data
.SH SYNOPSIS
.B safer
.I command
[\\fIoptions\\fR] \\fB\\-o\\fR \\fIOUT.gpkg\\fR
.br
.B safer
.I command
.B \\-\\-help
.br
.B safer \\-\\-version
.SH DESCRIPTION
safer reads police.uk incidents, area boundaries, population and guardianship assets, and writes
GeoPackage layers in British National Grid, styled for QGIS, with a QGIS project (.qgz) beside
each GeoPackage; FlatGeobuf, GeoJSON, Shapefile, CSV (the main layer) and PostGIS too.
Every input row is accounted for: used, or rejected with its reason.
.PP
This page is the program's own help, command by command.
.SH OPTIONS
.nf
${main_help}.fi
.SH COMMANDS
")
foreach(command ${commands})
  help_of(text ${command})
  string(APPEND page ".SS safer ${command}\n.nf\n${text}.fi\n")
endforeach()
string(APPEND page ".SH EXIT STATUS
0 done; 1 bad input (the message names the file, the line or feature, and what is wrong); 2 usage
(including an existing output without \\-\\-overwrite); 3 I/O failure.
.SH ENVIRONMENT
.TP
.B TMPDIR
where temporary files that belong to no output go (a folder safer\\-PID, removed at exit).
.SH VERSION
${version_line}
.SH SEE ALSO
.BR qgis (1),
.BR ogrinfo (1),
the README of the safer source tree.
")
file(WRITE "${OUTPUT}" "${page}")
