# The default healthledger network: one orderer org with 3 etcdraft orderers, and three peer orgs
# (Hospital, Pharma, Insurer) with one peer and one Fabric CA each. Sourced by network.sh.
# Every port below moves by HL_PORT_OFFSET (default 0), so two networks can run side by side.
LAYOUT=default
DOMAIN=healthledger.test
CHANNEL=healthchannel

ORDERER_ORG=orderer
ORDERER_MSP=OrdererMSP
ORDERER_DOMAIN=orderer.$DOMAIN
ORDERER_CA_PORT=10054
# name general-port admin-port operations-port
ORDERERS=(
  "orderer1 7050 7053 9443"
  "orderer2 7150 7153 9444"
  "orderer3 7250 7253 9445"
)

# org msp-id peer-port chaincode-listen-port operations-port ca-port chaincode-server-port-base roles
PEER_ORGS=(
  "hospital HospitalMSP 7051 7052 9446 7054 11000 patient,provider,pharmacist"
  "pharma   PharmaMSP   8051 8052 9447 8054 11100 manufacturer,distributor"
  "insurer  InsurerMSP  9051 9052 9448 9054 11200 insurer,auditor"
)

# msp-id GS1-company-prefixes (comma-separated, 6-12 digits each): written with the roles into every
# chaincode's consortium map at deploy (RegisterProduct refuses a GTIN whose prefix is not the caller's).
GS1_PREFIXES=(
  "PharmaMSP 0614141"
)

# wallet-name org role subject
IDENTITIES=(
  "patient1      hospital patient      pat-7f3a9c21"
  "patient2      hospital patient      pat-2b8e4d10"
  "patient3      hospital patient      pat-c91d05e7"
  "provider1     hospital provider     1003000126"
  "provider2     hospital provider     1003000134"
  "pharmacist1   hospital pharmacist   0614141000029"
  "manufacturer1 pharma   manufacturer 0614141000005"
  "distributor1  pharma   distributor  0614141000012"
  "insurer1      insurer  insurer      PAYER-0001"
  "auditor1      insurer  auditor      AUD-0001"
)
