package consenttypes

import "time"

// The chaincode event names. Every state change emits exactly one of them. Payloads carry ids and
// vocabulary codes, never protected health information.
const (
	EventConsentGranted   = "ConsentGranted"
	EventConsentUpdated   = "ConsentUpdated"
	EventConsentRevoked   = "ConsentRevoked"
	EventAccessRecorded   = "AccessRecorded"
	EventRecordRegistered = "RecordRegistered"
	EventErasureRequested = "ErasureRequested"
	EventRecordErased     = "RecordErased"
	EventDelegateAdded    = "DelegateAdded"
	EventDelegateRemoved  = "DelegateRemoved"
)

// EventNames lists every event name.
func EventNames() []string {
	return []string{
		EventConsentGranted, EventConsentUpdated, EventConsentRevoked, EventAccessRecorded,
		EventRecordRegistered, EventErasureRequested, EventRecordErased, EventDelegateAdded,
		EventDelegateRemoved,
	}
}

// ConsentEvent is the payload of ConsentGranted, ConsentUpdated and ConsentRevoked.
type ConsentEvent struct {
	ConsentID string    `json:"consentId"`
	Patient   string    `json:"patient"`
	Grantee   string    `json:"grantee"`
	Decision  Verdict   `json:"decision"`
	Status    Status    `json:"status"`
	Version   int       `json:"version"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// AccessEvent is the payload of AccessRecorded.
type AccessEvent struct {
	AccessID   string    `json:"accessId"`
	Patient    string    `json:"patient"`
	Accessor   string    `json:"accessor"`
	DataClass  DataClass `json:"dataClass"`
	Purpose    Purpose   `json:"purpose"`
	RecordID   string    `json:"recordId"`
	ConsentIDs []string  `json:"consentIds"`
	At         time.Time `json:"at"`
}

// RecordEvent is the payload of RecordRegistered, ErasureRequested and RecordErased.
type RecordEvent struct {
	RecordID   string    `json:"recordId"`
	Patient    string    `json:"patient"`
	DataClass  DataClass `json:"dataClass"`
	Collection string    `json:"collection"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// DelegateEvent is the payload of DelegateAdded and DelegateRemoved.
type DelegateEvent struct {
	Patient string    `json:"patient"`
	MSPID   string    `json:"mspId"`
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
}
