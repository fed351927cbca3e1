package consenttypes

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Request is the question a decision answers: may Grantee do Action for Purpose on Class of Patient?
type Request struct {
	Patient string
	Grantee Grantee
	Action  Action
	Purpose Purpose
	Class   DataClass
}

// Decide answers a request at time at from the patient's consents, with these rules:
//   - a consent counts only when it is active, its grantee covers the requester, it names the action,
//     the purpose and the class (or "*"), and its period contains at;
//   - any counting deny gives deny (deny overrides permit), naming the deny consents;
//   - otherwise any counting permit gives permit, naming the permit consents;
//   - otherwise the answer is deny with no consent ids (nothing permits). ETREAT is an ordinary
//     purpose here: emergency access needs a consent that names ETREAT.
//
// Consents of other patients are ignored. Consent ids in the answer are sorted.
func Decide(consents []Consent, req Request, at time.Time) Decision {
	var permits, denies, outOfPeriod []string
	for i := range consents {
		c := &consents[i]
		if c.Patient != req.Patient || c.Status != StatusActive || !c.Matches(req.Action, req.Purpose, req.Class) {
			continue
		}
		g, err := ParseGrantee(c.Grantee)
		if err != nil || !g.Covers(req.Grantee) {
			continue
		}
		if !c.Period.Contains(at) {
			outOfPeriod = append(outOfPeriod, describePeriod(c, at))
			continue
		}
		if c.Decision == Deny {
			denies = append(denies, c.ID)
		} else {
			permits = append(permits, c.ID)
		}
	}
	slices.Sort(permits)
	slices.Sort(denies)
	slices.Sort(outOfPeriod)
	what := fmt.Sprintf("%s to %s %s of patient %s for %s", req.Grantee, req.Action, req.Class, req.Patient, req.Purpose)
	switch {
	case len(denies) > 0:
		reason := fmt.Sprintf("denied by consent %s: %s is refused", strings.Join(denies, ", "), what)
		if len(permits) > 0 {
			reason += fmt.Sprintf(" (deny overrides the permit of %s)", strings.Join(permits, ", "))
		}
		return Decision{Decision: Deny, ConsentIDs: denies, Reason: reason, At: at}
	case len(permits) > 0:
		return Decision{Decision: Permit, ConsentIDs: permits,
			Reason: fmt.Sprintf("permitted by consent %s: %s", strings.Join(permits, ", "), what), At: at}
	}
	reason := "no active consent permits " + what
	if req.Purpose == PurposeEmergency {
		reason += "; emergency access (ETREAT) needs a consent that names ETREAT"
	}
	if len(outOfPeriod) > 0 {
		reason += "; " + strings.Join(outOfPeriod, "; ")
	}
	return Decision{Decision: Deny, ConsentIDs: []string{}, Reason: reason, At: at}
}

func describePeriod(c *Consent, at time.Time) string {
	if !c.Period.Start.IsZero() && at.Before(c.Period.Start) {
		return fmt.Sprintf("consent %s is not valid before %s", c.ID, c.Period.Start.Format(time.RFC3339))
	}
	return fmt.Sprintf("consent %s expired at %s", c.ID, c.Period.End.Format(time.RFC3339))
}
