import { describePop3ByteFaults } from './pop3-byte-faults.js';

describePop3ByteFaults('STLS + SASL CRAM-MD5 + STAT');
