#ifndef PRA_CLIBPQ_SHIM_H
#define PRA_CLIBPQ_SHIM_H
#include <libpq-fe.h>

/* The PG_DIAG_* field codes are character-literal macros; give Swift plain ints. */
static const int pra_diag_sqlstate = 'C';
static const int pra_diag_message_primary = 'M';
static const int pra_diag_message_detail = 'D';
static const int pra_diag_message_hint = 'H';
static const int pra_diag_severity = 'V';
#endif
