# A layout that mirrors fabric-samples' test-network names, ports and channel: Org1 and Org2 with one
# peer each, one orderer, and a CA per org. healthledger's three roles are mapped onto two orgs: Org1
# holds the hospital's and the insurer's roles, Org2 holds pharma's. Sourced by network.sh.
LAYOUT=test-network
DOMAIN=example.com
CHANNEL=mychannel

ORDERER_ORG=orderer
ORDERER_MSP=OrdererMSP
ORDERER_DOMAIN=example.com
ORDERER_CA_PORT=9054
ORDERERS=(
  "orderer 7050 7053 9443"
)

PEER_ORGS=(
  "org1 Org1MSP 7051 7052 9444 7054 11000 patient,provider,pharmacist,insurer,auditor"
  "org2 Org2MSP 9051 9052 9445 8054 11100 manufacturer,distributor"
)

# msp-id GS1-company-prefixes (comma-separated, 6-12 digits each), for the consortium map.
GS1_PREFIXES=(
  "Org2MSP 0614141"
)

IDENTITIES=(
  "patient1      org1 patient      pat-7f3a9c21"
  "patient2      org1 patient      pat-2b8e4d10"
  "patient3      org1 patient      pat-c91d05e7"
  "provider1     org1 provider     1003000126"
  "provider2     org1 provider     1003000134"
  "pharmacist1   org1 pharmacist   0614141000029"
  "manufacturer1 org2 manufacturer 0614141000005"
  "distributor1  org2 distributor  0614141000012"
  "insurer1      org1 insurer      PAYER-0001"
  "auditor1      org1 auditor      AUD-0001"
)
