const { Association } = require('./Association');
const {
  AAbort,
  AAssociateAC,
  AAssociateRJ,
  AAssociateRQ,
  AReleaseRP,
  AReleaseRQ,
  PDataTF,
  Pdv,
  RawPdu,
} = require('./Pdu');
const { CommandFieldType, PresentationContextResult, RawPduType, Status } = require('./Constants');
const {
  CCancelRequest,
  CEchoRequest,
  CEchoResponse,
  CFindRequest,
  CFindResponse,
  CGetRequest,
  CGetResponse,
  CMoveRequest,
  CMoveResponse,
  Command,
  CStoreRequest,
  CStoreResponse,
  NActionRequest,
  NActionResponse,
  NCreateRequest,
  NCreateResponse,
  NDeleteRequest,
  NDeleteResponse,
  NEventReportRequest,
  NEventReportResponse,
  NGetRequest,
  NGetResponse,
  NSetRequest,
  NSetResponse,
  Response,
} = require('./Command');
const Dataset = require('./Dataset');
const Implementation = require('./Implementation');
const Statistics = require('./Statistics');
const Transcoding = require('./Transcoding');
const log = require('./log');

const { EOL } = require('os');
const AsyncEventEmitter2 = require('async-event-emitter2');
const MemoryStream = require('memorystream');

//#region Network
class Network extends AsyncEventEmitter2 {
  /**
   * Creates an instance of Network.
   * @constructor
   * @param {Socket} socket - Network socket.
   * @param {Object} [opts] - Network options.
   * @param {number} [opts.connectTimeout] - Connection timeout in milliseconds.
   * @param {number} [opts.associationTimeout] - Association timeout in milliseconds.
   * @param {number} [opts.pduTimeout] - PDU timeout in milliseconds.
   * @param {boolean} [opts.logCommandDatasets] - Log DIMSE command datasets.
   * @param {boolean} [opts.logDatasets] - Log DIMSE datasets.
   * @param {Object} [opts.datasetReadOptions] - The read options to pass through to `DicomMessage._read()`.
   * @param {Object} [opts.datasetWriteOptions] - The write options to pass through to `DicomMessage.write()`.
   * @param {Object} [opts.datasetNameMap] - Additional DICOM tags to recognize when denaturalizing the dataset.
   * @param {Object} [opts.datasetTranscodeOptions] - Additional transcoding option to pass to `Transcoder`.
   */
  constructor(socket, opts) {
    super();
    this.messageId = 0;
    this.socket = socket;
    this.requests = [];
    this.pending = [];

    this.dimseStream = undefined;
    this.dimseStoreStream = undefined;
    this.dimse = undefined;

    opts = opts || {};
    this.connectTimeout = opts.connectTimeout || 3 * 60 * 1000;
    this.associationTimeout = opts.associationTimeout || 1 * 60 * 1000;
    this.pduTimeout = opts.pduTimeout || 1 * 60 * 1000;
    // clara-wf patch: the largest PDU this end accepts (any larger one is a
    // protocol error: A-ABORT and close), and how long to wait for the peer to
    // close after A-RELEASE-RP or A-ABORT (the ARTIM timer of PS3.8 9.1.5).
    this.maxPduReceive = opts.maxPduReceive || 4 * 1024 * 1024;
    this.artimTimeout = opts.artimTimeout || 30 * 1000;
    // clara-wf patch: bounds on what one peer makes this end hold or write.
    // A dataset (a C-STORE instance, or any other DIMSE's data set) larger than
    // maxDatasetReceive, a command set larger than maxCommandReceive (held in
    // memory) or a connection receiving more than maxAssociationReceive bytes
    // in all is answered with A-ABORT. 0 is no limit.
    this.maxDatasetReceive = opts.maxDatasetReceive || 0;
    this.maxCommandReceive = opts.maxCommandReceive || 1024 * 1024;
    this.maxAssociationReceive = opts.maxAssociationReceive || 0;
    this.dimseBytes = 0;
    // clara-wf patch: P-DATA-TF PDUs that span socket reads are assembled in a
    // buffer reused for the next one (no allocation per PDU). Opt-in: the
    // store stream must not keep the chunks it is given after its write
    // callback; PDVs for anything else are copied.
    this.reusePduBuffers = opts.reusePduBuffers || false;
    this.logCommandDatasets = opts.logCommandDatasets || false;
    this.logDatasets = opts.logDatasets || false;
    this.datasetReadOptions = opts.datasetReadOptions || {};
    this.datasetWriteOptions = opts.datasetWriteOptions || {};
    this.datasetNameMap = opts.datasetNameMap || {};
    this.datasetTranscodeOptions = opts.datasetTranscodeOptions || {};
    this.logId = '';
    this.connected = false;
    this.connectedTime = undefined;
    this.lastPduTime = undefined;
    this.timeoutIntervalId = undefined;
    this.statistics = new Statistics();
    // clara-wf patch: an accepted (server-side) socket is connected already and
    // never emits 'connect', so the association timeout (ARTIM before
    // A-ASSOCIATE-RQ) never ran for it.
    if (socket && !socket.connecting && socket.remoteAddress !== undefined) {
      this.connected = true;
      this.connectedTime = Date.now();
    }
    // clara-wf patch: the state of the upper layer, named as in PS3.8 9.2
    // (table 9-10): an accepted connection waits for an A-ASSOCIATE-RQ
    // (Sta2); a requestor's waits for its transport connection (Sta4).
    // Upstream kept no state, so an A-ASSOCIATE-RQ on an established
    // association was accepted again (leaking the acceptor's slot) and an
    // A-RELEASE-RQ before any association was answered with A-RELEASE-RP.
    this.state = this.connected ? 'Sta2' : 'Sta4';

    this._wrapSocket();
  }

  /**
   * Sends association request.
   * @method
   * @param {Association} association - Association.
   */
  sendAssociationRequest(association) {
    this.association = association;
    const rq = new AAssociateRQ(this.association);
    const rqPdu = rq.write();

    this.logId = this.association.getCalledAeTitle();
    log.info(`${this.logId} -> Association request:${EOL}${this.association.toString()}`);
    this.state = 'Sta5';
    this._sendPdu(rqPdu);
  }

  /**
   * Sends association accept.
   * @method
   */
  sendAssociationAccept() {
    this.association.setImplementationClassUid(Implementation.getImplementationClassUid());
    this.association.setImplementationVersion(Implementation.getImplementationVersion());
    // clara-wf patch: announce what this end receives (the value it enforces);
    // the requestor's 0 ("no limit") made this end announce no limit either.
    this.association.setMaxPduLength(
      Math.min(Implementation.getMaxPduLength(), this.maxPduReceive)
    );

    const rq = new AAssociateAC(this.association);
    const rqPdu = rq.write();

    log.info(`${this.logId} -> Association accept:${EOL}${this.association.toString()}`);
    this.state = 'Sta6';
    this._sendPdu(rqPdu);
  }

  /**
   * Sends association reject.
   * @method
   * @param {number} [result] - Rejection result.
   * @param {number} [source] - Rejection source.
   * @param {number} [reason] - Rejection reason.
   */
  sendAssociationReject(result, source, reason) {
    const rq = new AAssociateRJ(result, source, reason);
    const rqPdu = rq.write();

    log.info(`${this.logId} -> Association reject ${rq.toString()}`);
    this.state = 'Sta13';
    this._sendPdu(rqPdu);
    // clara-wf patch: the requestor closes the connection now (ARTIM, PS3.8 9.2).
    this._closeSoon(this.artimTimeout);
  }

  /**
   * Sends association release request.
   * @method
   */
  sendAssociationReleaseRequest() {
    const rq = new AReleaseRQ();
    const rqPdu = rq.write();

    log.info(`${this.logId} -> Association release request`);
    this.state = 'Sta7';
    this._sendPdu(rqPdu);
  }

  /**
   * Sends association release response.
   * @method
   */
  sendAssociationReleaseResponse() {
    const rq = new AReleaseRP();
    const rqPdu = rq.write();

    log.info(`${this.logId} -> Association release response`);
    this.state = 'Sta13';
    this._sendPdu(rqPdu);
    // clara-wf patch: the requestor closes the connection now; if it does not
    // within the ARTIM timeout, this end does (PS3.8 9.2, state Sta13).
    const t = setTimeout(() => this.socket.destroy(), this.artimTimeout);
    if (t.unref) t.unref();
  }

  /**
   * Sends requests.
   * @method
   * @param {Array<Request>|Request} requests - Requests to perform.
   */
  sendRequests(requests) {
    const rqs = Array.isArray(requests) ? requests : [requests];
    this.requests.push(...rqs);
    this._sendNextRequests();
  }

  /**
   * Sends a response for a specific request.
   * @method
   * @param {Request} requests - Request for which to send response.
   * @param {Response} response - Response to send.
   */
  sendResponse(request, response) {
    const context = this.association.getAcceptedPresentationContextFromRequest(request);
    if (!context) {
      log.error(
        `Could not find an accepted presentation context for request ${request.toString()}. Skipping...`
      );
      return;
    }

    const dimse = { context, command: response };
    this._sendDimse(dimse);
  }

  /**
   * Sends cancel request.
   * @method
   * @param {CFindRequest|CMoveRequest|CGetRequest} request - C-FIND, C-MOVE or C-GET request.
   * @throws {Error} If request is not an instance of CFindRequest, CMoveRequest or CGetRequest.
   */
  sendCancel(request) {
    if (!this.association) {
      log.error(
        `There is no association in which to cancel request ${request.toString()}. Skipping...`
      );
      return;
    }

    const cancelRequest = CCancelRequest.fromRequest(request);
    const context = this.association.getAcceptedPresentationContextFromRequest(cancelRequest);
    if (!context) {
      log.error(
        `Could not find an accepted presentation context to cancel request ${request.toString()}. Skipping...`
      );
      return;
    }
    const dimse = { context, command: cancelRequest };
    this._sendDimse(dimse);
  }

  /**
   * Sends abort request.
   * @method
   * @param {number} [source] - Abortion source.
   * @param {number} [reason] - Abortion reason.
   */
  sendAbort(source, reason) {
    // clara-wf patch: an A-ABORT is valid in every state after the transport
    // connection exists (PS3.8 9.2), association or not.
    const rq = new AAbort(source, reason);
    const rqPdu = rq.write();

    log.info(`${this.logId} -> Abort ${rq.toString()}`);
    this.state = 'Sta13';
    this._sendPdu(rqPdu);
  }

  /**
   * Sends A-ABORT and closes the transport connection (clara-wf patch).
   * @method
   * @param {number} [source] - Abortion source.
   * @param {number} [reason] - Abortion reason.
   */
  abortAndClose(source, reason) {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    try {
      this.sendAbort(source === undefined ? 2 : source, reason === undefined ? 0 : reason);
    } finally {
      // The A-ABORT is flushed by end(); a peer that never reads is cut off.
      this._closeSoon(500);
    }
  }

  /**
   * Closes the socket after the pending writes, or after `ms` at the latest (clara-wf patch).
   * @method
   * @private
   */
  _closeSoon(ms) {
    if (this.socket.destroyed) return;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), ms);
    if (t.unref) t.unref();
  }

  /**
   * Gets network statistics.
   * @method
   * @returns {Statistics} Network statistics.
   */
  getStatistics() {
    return this.statistics;
  }

  /**
   * Allows the caller to create a Writable stream to accumulate the C-STORE dataset.
   * The default implementation creates a memory Writable stream that for, big instances,
   * could cause out of memory situations.
   * @method
   * @param {PresentationContext} acceptedPresentationContext - The accepted presentation context.
   * @param {CStoreRequest} request - C-STORE request.
   * @returns {Writable} The created store writable stream.
   */
  // eslint-disable-next-line no-unused-vars
  createStoreWritableStream(acceptedPresentationContext, request) {
    return MemoryStream.createWriteStream();
  }

  /**
   * Allows the caller to create a Dataset from the Writable stream used to
   * accumulate the C-STORE dataset. The created Dataset is passed to the
   * Scp.cStoreRequest method for processing.
   * @method
   * @param {Writable} writable - The store writable stream.
   * @param {PresentationContext} acceptedPresentationContext - The accepted presentation context.
   * @param {function(Dataset)} callback - Created dataset callback function.
   */
  createDatasetFromStoreWritableStream(writable, acceptedPresentationContext, callback) {
    const dataset = new Dataset(
      writable.toBuffer(),
      acceptedPresentationContext.getAcceptedTransferSyntaxUid()
    );
    callback(dataset);
  }

  //#region Private Methods
  /**
   * Advances the message ID.
   * @method
   * @private
   */
  _getNextMessageId() {
    return ++this.messageId % 65536;
  }

  /**
   * Sends PDU over the network.
   * @method
   * @private
   * @param {Buffer} pdu - PDU.
   */
  _sendPdu(pdu) {
    // clara-wf patch: nothing is written once this end closed its side (a
    // write after end() is an error that would end the connection abruptly).
    if (this.socket.writableEnded || this.socket.destroyed) return;
    try {
      const buffer = pdu.writePdu();
      this.socket.write(buffer);
      this.statistics.addBytesSent(buffer.length);
    } catch (err) {
      log.error(`${this.logId} -> Error sending PDU [type: ${pdu.getType()}]: ${err.message}`);
      this.emit('networkError', err);
    }
  }

  /**
   * Sends requests over the network.
   * @method
   * @private
   */
  _sendNextRequests() {
    const processNextRequest = () => {
      const request = this.requests.shift();
      if (!request) {
        // Done with requests
        this.emit('done');
        return;
      }
      const context = this.association.getAcceptedPresentationContextFromRequest(request);
      if (context) {
        // Lazy load the datasets to store
        if (request instanceof CStoreRequest) {
          request.loadFullDatasetIfNeeded();
        }
        request.setMessageId(this._getNextMessageId());
        this.pending.push(request);
        const dimse = { context, command: request };
        dimse.command.on('done', () => {
          // Request is done (there are no more pending responses)
          processNextRequest();
        });
        this._sendDimse(dimse);
      } else {
        log.error(
          `Could not find an accepted presentation context for request ${request.toString()}. Skipping...`
        );
        processNextRequest();
      }
    };
    processNextRequest();
  }

  /**
   * Sends DIMSE over the network.
   * @method
   * @private
   * @param {Object} dimse - DIMSE information.
   * @param {Command} dimse.command - Command.
   * @param {PresentationContext} dimse.context - Presentation context.
   */
  _sendDimse(dimse) {
    try {
      const dataset = dimse.command.getDataset();
      const presentationContext = this.association.getPresentationContext(
        dimse.context.getPresentationContextId()
      );
      const acceptedTransferSyntaxUid = presentationContext.getAcceptedTransferSyntaxUid();
      if (dataset && acceptedTransferSyntaxUid !== dataset.getTransferSyntaxUid()) {
        try {
          const transcodedDataset = Transcoding.transcodeDataset(
            dataset,
            acceptedTransferSyntaxUid,
            this.datasetTranscodeOptions
          );
          dimse.command.setDataset(transcodedDataset);
        } catch (err) {
          log.error(err.message);
          dimse.command.raiseDoneEvent();

          return;
        }
      }
      this._sendPDataTF(
        dimse.command,
        dimse.context.getPresentationContextId(),
        this.association.getMaxPduLength()
      );
    } catch (err) {
      log.error(`${this.logId} -> Error sending DIMSE: ${err.message}`);
      this.emit('networkError', err);
    }
  }

  /**
   * Sends PDataTF over the network.
   * @method
   * @private
   * @param {Command} command - The requesting command.
   * @param {number} pcId - Presentation context ID.
   * @param {number} maxPduLength - Maximum PDU length.
   */
  _sendPDataTF(command, pcId, maxPduLength) {
    const max = 4 * 1024 * 1024;
    maxPduLength = maxPduLength === 0 ? max : Math.min(maxPduLength, max);

    const commandDataset = command.getCommandDataset();
    const commandBuffer = commandDataset.getDenaturalizedCommandDataset();

    log.info(
      `${this.logId} -> ${command.toString({
        includeCommandDataset: this.logCommandDatasets,
        includeDataset: this.logDatasets,
      })} [pc: ${pcId}]`
    );

    const pDataTf = new PDataTF();
    const pdv = new Pdv(pcId, commandBuffer, true, true);
    pDataTf.addPdv(pdv);
    const pdu = pDataTf.write();
    const pduBuffer = pdu.writePdu();
    this.socket.write(pduBuffer);
    this.statistics.addBytesSent(pduBuffer.length);

    const dataset = command.getDataset();
    if (dataset) {
      const datasetBuffer = dataset.getDenaturalizedDataset(
        this.datasetWriteOptions,
        this.datasetNameMap
      );

      const datasetBufferChunks = [];
      const datasetBufferLength = datasetBuffer.length;
      const chunkSize = maxPduLength - 6;
      let i = 0;
      while (i < datasetBufferLength) {
        datasetBufferChunks.push(datasetBuffer.slice(i, (i += chunkSize)));
      }

      for (let i = 0; i < datasetBufferChunks.length; i++) {
        const last = datasetBufferChunks.length === i + 1;
        const pdv = new Pdv(pcId, datasetBufferChunks[i], false, last);

        const pDataTf = new PDataTF();
        pDataTf.addPdv(pdv);
        const pdu = pDataTf.write();
        const pduBuffer = pdu.writePdu();
        this.socket.write(pduBuffer);
        this.statistics.addBytesSent(pduBuffer.length);
      }
    }
  }

  /**
   * Process received PDU from the network.
   * @method
   * @private
   * @param {Buffer} data - Accumulated PDU data.
   * @throws {Error} In case of an unknown PDU type.
   */
  async _processPdu(data, reused) {
    const raw = new RawPdu(data);

    try {
      raw.readPdu();

      // clara-wf patch: a PDU the current state does not expect is answered as
      // PS3.8 table 9-10 says, before it is read.
      const action = this._actionFor(raw.getType());
      if (action === 'ignore') return;
      if (action !== 'read') {
        const error = `${this.logId} -> Protocol error: unexpected ${pduName(raw.getType())} in state ${this.state} (PS3.8 9.2, ${action})`;
        log.error(error);
        this.emit('networkError', new Error(error));
        // AA-1 (no association yet): service-user source; AA-7 / AA-8:
        // service-provider source, reason 2 (unexpected PDU).
        if (action === 'AA-1') this.abortAndClose(0, 0);
        else this.abortAndClose(2, 2);
        return;
      }

      switch (raw.getType()) {
        case RawPduType.AAssociateRQ: {
          this.association = new Association();
          const pdu = new AAssociateRQ(this.association);
          this.state = 'Sta3';
          pdu.read(raw);
          this.logId = this.association.getCallingAeTitle();
          log.info(`${this.logId} <- Association request:${EOL}${this.association.toString()}`);
          this.emit('associationRequested', this.association);
          break;
        }
        case RawPduType.AAssociateAC: {
          const pdu = new AAssociateAC(this.association);
          pdu.read(raw);
          this.state = 'Sta6';
          this.logId = this.association.getCalledAeTitle();
          log.info(`${this.logId} <- Association accept:${EOL}${this.association.toString()}`);
          this.emit('associationAccepted', this.association);
          break;
        }
        case RawPduType.AAssociateRJ: {
          const pdu = new AAssociateRJ();
          pdu.read(raw);
          log.info(`${this.logId} <- Association reject ${pdu.toString()}`);
          this.emit('associationRejected', {
            result: pdu.getResult(),
            source: pdu.getSource(),
            reason: pdu.getReason(),
          });
          break;
        }
        case RawPduType.PDataTF: {
          const pdu = new PDataTF();
          pdu.read(raw);
          await this._processPDataTf(pdu, reused);
          break;
        }
        case RawPduType.AReleaseRQ: {
          const pdu = new AReleaseRQ();
          pdu.read(raw);
          if (this.state === 'Sta6') this.state = 'Sta8';
          log.info(`${this.logId} <- Association release request`);
          this.emit('associationReleaseRequested');
          break;
        }
        case RawPduType.AReleaseRP: {
          const pdu = new AReleaseRP();
          pdu.read(raw);
          log.info(`${this.logId} <- Association release response`);
          this.emit('associationReleaseResponse');
          break;
        }
        case RawPduType.AAbort: {
          const pdu = new AAbort();
          pdu.read(raw);
          log.info(`${this.logId} <- Association abort ${pdu.toString()}`);
          this.emit('abort', {
            source: pdu.getSource(),
            reason: pdu.getReason(),
          });
          // clara-wf patch: on A-ABORT the connection is closed at once (PS3.8 AA-3).
          this.state = 'Sta1';
          this.socket.destroy();
          break;
        }
        case 0xff: {
          // NoOp
          break;
        }
        default:
          throw new Error(`Unknown PDU type: ${raw.getType()}`);
      }
    } catch (err) {
      log.error(`${this.logId} -> Error reading PDU [type: ${raw.getType()}]: ${err.message}`);
      this.emit('networkError', err);
      // clara-wf patch: a PDU that cannot be read ends the association
      // (reason: what the reader said, else invalid PDU parameter value).
      this.abortAndClose(2, err.abortReason === undefined ? 6 : err.abortReason);
    }
  }

  /**
   * What to do with a received PDU of `type` in the current state (clara-wf
   * patch): 'read' it, 'ignore' it (AA-6), or abort (AA-1, AA-7, AA-8), as
   * PS3.8 9.2 table 9-10 says for the states this implementation has.
   * @method
   * @private
   */
  _actionFor(type) {
    const s = this.state;
    if (type === RawPduType.AAbort) return 'read'; // AA-2 / AA-3: close
    if (s === 'Sta13') return type === RawPduType.AAssociateRQ ? 'AA-7' : 'ignore';
    if (s === 'Sta2') return type === RawPduType.AAssociateRQ ? 'read' : 'AA-1';
    const expected = {
      Sta5: [RawPduType.AAssociateAC, RawPduType.AAssociateRJ],
      Sta6: [RawPduType.PDataTF, RawPduType.AReleaseRQ],
      // A requestor waiting for A-RELEASE-RP still takes data (AR-6) and a release collision (AR-8).
      Sta7: [RawPduType.PDataTF, RawPduType.AReleaseRP, RawPduType.AReleaseRQ],
    }[s];
    return expected && expected.includes(type) ? 'read' : 'AA-8';
  }

  /**
   * Process P-DATA-TF.
   * @method
   * @private
   * @param {PDataTF} pdu - PDU.
   */
  async _processPDataTf(pdu, reused) {
    try {
      const pdvs = pdu.getPdvs();
      for (let i = 0; i < pdvs.length; i++) {
        const pdv = pdvs[i];
        const presentationContext = this.association.getPresentationContext(
          pdv.getPresentationContextId()
        );
        // clara-wf patch: data only on a presentation context this end accepted.
        if (presentationContext.getResult() !== PresentationContextResult.Accept) {
          throw new Error(
            `P-DATA-TF on presentation context ${pdv.getPresentationContextId()}, which was not accepted`
          );
        }

        if (!this.dimse) {
          // Create stream to receive command
          if (!this.dimseStream) {
            this.dimseStream = MemoryStream.createWriteStream();
            this.dimseStoreStream = undefined;
          }
        } else {
          // Create stream to receive dataset
          if (this.dimse.getCommandFieldType() === CommandFieldType.CStoreRequest) {
            if (!this.dimseStoreStream) {
              this.dimseStream = undefined;
              this.dimseStoreStream = this.createStoreWritableStream(
                presentationContext,
                this.dimse
              );
            }
          } else {
            if (!this.dimseStream) {
              this.dimseStream = MemoryStream.createWriteStream();
              this.dimseStoreStream = undefined;
            }
          }
        }

        const stream = this.dimseStream || this.dimseStoreStream;
        // clara-wf patch: what this DIMSE message has sent so far is bounded.
        this.dimseBytes += pdv.getValue().length;
        const limit = this._exceededLimit(stream === this.dimseStoreStream || !pdv.isCommand());
        if (limit) {
          if (stream === this.dimseStoreStream) stream.destroy();
          log.error(`${this.logId} -> ${limit.message}`);
          this.emit('networkError', limit);
          this.abortAndClose(2, 0);
          return;
        }
        // clara-wf patch: wait for 'drain' every time write() asks for it (the
        // promise made once per instance resolved at the first drain only).
        // clara-wf patch: a PDV in a reused PDU buffer is copied unless it goes
        // to the store stream (which, by the reusePduBuffers contract, does not
        // keep it).
        const value =
          reused && stream !== this.dimseStoreStream ? Buffer.from(pdv.getValue()) : pdv.getValue();
        if (!stream.write(value) && stream === this.dimseStoreStream) {
          await new Promise((resolve) => {
            stream.once('drain', resolve);
            stream.once('close', resolve);
            stream.once('error', resolve);
          });
        }

        if (pdv.isLastFragment()) {
          this.dimseBytes = 0;
          if (pdv.isCommand()) {
            const command = new Command(new Dataset(this.dimseStream.toBuffer()));
            const type = command.getCommandFieldType();
            switch (type) {
              case CommandFieldType.CEchoRequest:
                this.dimse = Object.assign(new CEchoRequest(), command);
                break;
              case CommandFieldType.CEchoResponse:
                this.dimse = Object.assign(new CEchoResponse(), command);
                break;
              case CommandFieldType.CFindRequest:
                this.dimse = Object.assign(new CFindRequest(), command);
                break;
              case CommandFieldType.CFindResponse:
                this.dimse = Object.assign(new CFindResponse(), command);
                break;
              case CommandFieldType.CStoreRequest:
                this.dimse = Object.assign(new CStoreRequest(), command);
                break;
              case CommandFieldType.CStoreResponse:
                this.dimse = Object.assign(new CStoreResponse(), command);
                break;
              case CommandFieldType.CMoveRequest:
                this.dimse = Object.assign(new CMoveRequest(), command);
                break;
              case CommandFieldType.CMoveResponse:
                this.dimse = Object.assign(new CMoveResponse(), command);
                break;
              case CommandFieldType.CGetRequest:
                this.dimse = Object.assign(new CGetRequest(), command);
                break;
              case CommandFieldType.CGetResponse:
                this.dimse = Object.assign(new CGetResponse(), command);
                break;
              case CommandFieldType.NCreateRequest:
                this.dimse = Object.assign(new NCreateRequest(), command);
                break;
              case CommandFieldType.NCreateResponse:
                this.dimse = Object.assign(new NCreateResponse(), command);
                break;
              case CommandFieldType.NActionRequest:
                this.dimse = Object.assign(new NActionRequest(), command);
                break;
              case CommandFieldType.NActionResponse:
                this.dimse = Object.assign(new NActionResponse(), command);
                break;
              case CommandFieldType.NDeleteRequest:
                this.dimse = Object.assign(new NDeleteRequest(), command);
                break;
              case CommandFieldType.NDeleteResponse:
                this.dimse = Object.assign(new NDeleteResponse(), command);
                break;
              case CommandFieldType.NEventReportRequest:
                this.dimse = Object.assign(new NEventReportRequest(), command);
                break;
              case CommandFieldType.NEventReportResponse:
                this.dimse = Object.assign(new NEventReportResponse(), command);
                break;
              case CommandFieldType.NGetRequest:
                this.dimse = Object.assign(new NGetRequest(), command);
                break;
              case CommandFieldType.NGetResponse:
                this.dimse = Object.assign(new NGetResponse(), command);
                break;
              case CommandFieldType.NSetRequest:
                this.dimse = Object.assign(new NSetRequest(), command);
                break;
              case CommandFieldType.NSetResponse:
                this.dimse = Object.assign(new NSetResponse(), command);
                break;
              case CommandFieldType.CCancelRequest:
                this.dimse = Object.assign(new CCancelRequest(), command);
                break;
              default:
                this.dimse = command;
                break;
            }

            log.info(
              `${this.logId} <- ${this.dimse.toString({
                includeCommandDataset: this.logCommandDatasets,
                includeDataset: this.logDatasets,
              })} [pc: ${pdv.getPresentationContextId()}]`
            );

            if (!this.dimse.hasDataset()) {
              this._performDimse(presentationContext, this.dimse);
              this.dimse = undefined;
              return;
            }
            this.dimseStream = undefined;
            this.dimseStoreStream = undefined;
          } else {
            if (this.dimse.getCommandFieldType() === CommandFieldType.CStoreRequest) {
              this.dimseStoreStream.end();
              this.createDatasetFromStoreWritableStream(
                this.dimseStoreStream,
                presentationContext,
                (dataset) => {
                  this.dimse.setDataset(dataset);
                  this._performDimse(presentationContext, this.dimse);
                  this.dimseStream = undefined;
                  this.dimseStoreStream = undefined;
                  this.dimse = undefined;
                }
              );
            } else {
              this.dimseStream.end();
              const dataset = new Dataset(
                this.dimseStream.toBuffer(),
                presentationContext.getAcceptedTransferSyntaxUid(),
                this.datasetReadOptions
              );
              this.dimse.setDataset(dataset);
              this._performDimse(presentationContext, this.dimse);
              this.dimseStream = undefined;
              this.dimseStoreStream = undefined;
              this.dimse = undefined;
            }
          }
        }
      }
    } catch (err) {
      log.error(`${this.logId} -> Error reading DIMSE: ${err.message}`);
      this.emit('networkError', err);
      this.abortAndClose(2, 0);
    }
  }

  /**
   * The limit the bytes received so far exceed, as an Error with a `code`
   * (clara-wf patch), or null.
   * @method
   * @private
   */
  _exceededLimit(dataset) {
    const total = this.statistics.getBytesReceived();
    let err = null;
    if (this.maxAssociationReceive && total > this.maxAssociationReceive) {
      err = new Error(`Limit exceeded: the association sent more than ${this.maxAssociationReceive} bytes`);
      err.code = 'MAX_ASSOCIATION_BYTES';
      err.limit = this.maxAssociationReceive;
    } else if (dataset && this.maxDatasetReceive && this.dimseBytes > this.maxDatasetReceive) {
      err = new Error(`Limit exceeded: a data set larger than ${this.maxDatasetReceive} bytes`);
      err.code = 'MAX_DATASET_BYTES';
      err.limit = this.maxDatasetReceive;
    } else if (!dataset && this.dimseBytes > this.maxCommandReceive) {
      err = new Error(`Limit exceeded: a command set larger than ${this.maxCommandReceive} bytes`);
      err.code = 'MAX_COMMAND_BYTES';
      err.limit = this.maxCommandReceive;
    }
    return err;
  }

  /**
   * Perform DIMSE operation.
   * @method
   * @private
   * @param {PresentationContext} presentationContext - Accepted presentation context.
   * @param {Request|Response} dimse - DIMSE.
   */
  _performDimse(presentationContext, dimse) {
    if (dimse instanceof Response) {
      const response = Object.assign(Object.create(Object.getPrototypeOf(dimse)), dimse);
      const request = this.pending.find(
        (r) => r.getMessageId() === dimse.getMessageIdBeingRespondedTo()
      );
      if (request) {
        request.raiseResponseEvent(response);
        if (response.getStatus() !== Status.Pending) {
          request.raiseDoneEvent();
        }
      }
      return;
    }

    if (dimse.getCommandFieldType() === CommandFieldType.CEchoRequest) {
      this.emit('cEchoRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.CFindRequest) {
      this.emit('cFindRequest', dimse, (rsp) => {
        const responses = !Array.isArray(rsp) ? [rsp] : rsp;
        responses.forEach((response) => {
          this._sendDimse({ context: presentationContext, command: response });
        });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.CStoreRequest) {
      this.emit('cStoreRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.CMoveRequest) {
      this.emit('cMoveRequest', dimse, (rsp) => {
        const responses = !Array.isArray(rsp) ? [rsp] : rsp;
        responses.forEach((response) => {
          this._sendDimse({ context: presentationContext, command: response });
        });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.CGetRequest) {
      this.emit('cGetRequest', dimse, (rsp) => {
        const responses = !Array.isArray(rsp) ? [rsp] : rsp;
        responses.forEach((response) => {
          this._sendDimse({ context: presentationContext, command: response });
        });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NCreateRequest) {
      this.emit('nCreateRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NActionRequest) {
      this.emit('nActionRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NDeleteRequest) {
      this.emit('nDeleteRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NEventReportRequest) {
      this.emit('nEventReportRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NGetRequest) {
      this.emit('nGetRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.NSetRequest) {
      this.emit('nSetRequest', dimse, (rsp) => {
        this._sendDimse({ context: presentationContext, command: rsp });
      });
    } else if (dimse.getCommandFieldType() === CommandFieldType.CCancelRequest) {
      this.emit('cCancelRequest', dimse);
    }
  }

  /**
   * Wraps socket operations.
   * @method
   * @private
   */
  _wrapSocket() {
    this.socket.setTimeout(this.connectTimeout);
    this.socket.on('connect', () => {
      this.connected = true;
      this.connectedTime = Date.now();
      this.emit('connect');
    });
    // clara-wf patch: PDUs are assembled in linear time (no re-copy per chunk),
    // bounded by maxPduReceive, and processed one at a time: the socket is
    // paused while a PDU is processed, so a slow disk slows the sender instead
    // of filling memory (TCP backpressure).
    const pduAccumulator = new PduAccumulator(this.maxPduReceive, this.reusePduBuffers);
    const queue = [];
    let processing = false;
    const drainQueue = async () => {
      if (processing) return;
      processing = true;
      try {
        while (queue.length && !this.socket.destroyed) {
          const { data, release } = queue.shift();
          this.lastPduTime = Date.now();
          try {
            await this._processPdu(data, release !== null);
          } finally {
            if (release !== null) release();
          }
        }
      } finally {
        processing = false;
        if (!this.socket.destroyed) this.socket.resume();
      }
    };
    // One object: async-event-emitter2 hands a listener its own callback in
    // place of a trailing argument that is undefined.
    pduAccumulator.on('pdu', (pdu) => {
      queue.push(pdu);
    });
    pduAccumulator.on('error', (err) => {
      this._reset();
      const error = `${this.logId} -> Protocol error: ${err.message}`;
      log.error(error);
      this.emit('networkError', new Error(error));
      // PS3.8 9.2 (AA-8): an invalid PDU is answered with A-ABORT and the
      // connection is closed.
      this.abortAndClose(2, err.abortReason === undefined ? 0 : err.abortReason);
    });
    this.socket.on('data', (data) => {
      this.statistics.addBytesReceived(data.length);
      if (pduAccumulator.failed) return;
      pduAccumulator.accumulate(data);
      if (queue.length) {
        this.socket.pause();
        // clara-wf patch: nothing raised while a PDU is processed leaves this connection.
        drainQueue().catch((err) => {
          log.error(`${this.logId} -> Error processing PDU: ${err.message}`);
          this.emit('networkError', err);
          this.abortAndClose(2, 0);
        });
      }
    });
    this.socket.on('error', (err) => {
      this._reset();
      const error = `${this.logId} -> Connection error: ${err.message}`;
      log.error(error);
      this.emit('networkError', new Error(error));
      this.socket.destroy();
    });
    this.socket.on('timeout', () => {
      this._reset();
      const error = `${this.logId} -> Connection timeout`;
      log.error(error);
      this.emit('networkError', new Error(error));
      this.abortAndClose(2, 0);
    });
    this.socket.on('close', () => {
      this._reset();
      log.info(`${this.logId} -> Connection closed`);
      this.emit('close');
    });

    const shortest = Math.min(this.associationTimeout, this.pduTimeout);
    this.timeoutIntervalId = setInterval(
      () => {
        const current = Date.now();
        let timedOut = false;
        let error = undefined;
        if (
          this.connected &&
          !this.lastPduTime &&
          current - this.connectedTime >= this.associationTimeout
        ) {
          error = `${this.logId} -> Exceeded association timeout (${this.associationTimeout}), closing connection...`;
          timedOut = true;
        } else if (
          this.connected &&
          this.lastPduTime &&
          !processing &&
          current - this.lastPduTime >= this.pduTimeout
        ) {
          error = `${this.logId} -> Exceeded PDU timeout (${this.pduTimeout}), closing connection...`;
          timedOut = true;
        }
        if (timedOut) {
          this._reset();
          log.error(error);
          this.emit('networkError', new Error(`Connection timeout: ${error}`));
          // clara-wf patch: the connection is closed, not only reported.
          this.abortAndClose(2, 0);
        }
      },
      Math.max(20, Math.min(1000, Math.floor(shortest / 4)))
    );
    if (this.timeoutIntervalId.unref) this.timeoutIntervalId.unref();
  }

  /**
   * Resets connection stats.
   * @method
   * @private
   */
  _reset() {
    this.connected = false;
    this.lastPduTime = undefined;
    this.connectedTime = undefined;
    if (this.timeoutIntervalId) {
      clearInterval(this.timeoutIntervalId);
      this.timeoutIntervalId = undefined;
    }
  }
  //#endregion
}
//#endregion

/** A PDU type's name as PS3.8 gives it (clara-wf patch, for messages). */
function pduName(type) {
  const names = {
    [RawPduType.AAssociateRQ]: 'A-ASSOCIATE-RQ',
    [RawPduType.AAssociateAC]: 'A-ASSOCIATE-AC',
    [RawPduType.AAssociateRJ]: 'A-ASSOCIATE-RJ',
    [RawPduType.PDataTF]: 'P-DATA-TF',
    [RawPduType.AReleaseRQ]: 'A-RELEASE-RQ',
    [RawPduType.AReleaseRP]: 'A-RELEASE-RP',
    [RawPduType.AAbort]: 'A-ABORT',
  };
  return names[type] || `PDU type 0x${Number(type).toString(16)}`;
}

//#region PduAccumulator
const KNOWN_PDU_TYPES = new Set([
  RawPduType.AAssociateRQ,
  RawPduType.AAssociateAC,
  RawPduType.AAssociateRJ,
  RawPduType.PDataTF,
  RawPduType.AReleaseRQ,
  RawPduType.AReleaseRP,
  RawPduType.AAbort,
]);

class PduAccumulator extends AsyncEventEmitter2 {
  /**
   * Creates an instance of PduAccumulator (clara-wf patch: linear, bounded).
   * @constructor
   * @param {number} maxPduLength - The largest PDU length (bytes after the 6-byte header) accepted.
   */
  constructor(maxPduLength, reuse) {
    super();
    this.maxPduLength = maxPduLength;
    this.reuse = reuse || false;
    this.spare = [];
    this.chunks = [];
    this.length = 0;
    this.needed = -1;
    this.failed = false;
  }

  /**
   * Accumulates the received data from the network; emits one 'pdu' per complete PDU.
   * @method
   * @param {Buffer} data - The received data.
   */
  accumulate(data) {
    this.chunks.push(data);
    this.length += data.length;
    for (;;) {
      if (this.needed < 0) {
        if (this.length < 6) return;
        const head = this._peek(6);
        const type = head.readUInt8(0);
        const pduLength = head.readUInt32BE(2);
        if (!KNOWN_PDU_TYPES.has(type)) {
          return this._fail(`Unknown PDU type: 0x${type.toString(16)}`, 1);
        }
        if (pduLength > this.maxPduLength) {
          return this._fail(
            `PDU of type 0x${type.toString(16)} declares ${pduLength} bytes, more than the ${this.maxPduLength} accepted`,
            6
          );
        }
        this.needed = pduLength + 6;
        this.neededType = type;
      }
      if (this.length < this.needed) return;
      const reuse = this.reuse && this.neededType === RawPduType.PDataTF;
      const pdu = this._take(this.needed, reuse);
      this.needed = -1;
      this.emit('pdu', pdu);
    }
  }

  /** @private */
  _fail(message, abortReason) {
    this.failed = true;
    this.chunks = [];
    this.length = 0;
    const err = new Error(message);
    err.abortReason = abortReason;
    this.emit('error', err);
  }

  /** @private First n bytes without consuming them. */
  _peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const all = Buffer.concat(this.chunks, this.length);
    this.chunks = [all];
    return all;
  }

  /**
   * @private Consumes exactly n bytes (one copy at most): `{ data, release }`,
   * where `release` (null unless the bytes were copied into a reused buffer)
   * is to be called once they are no longer used.
   */
  _take(n, reuse) {
    let out;
    let release = null;
    if (this.chunks[0].length === n) {
      out = this.chunks.shift();
    } else if (this.chunks[0].length > n) {
      out = this.chunks[0].subarray(0, n);
      this.chunks[0] = this.chunks[0].subarray(n);
    } else {
      if (reuse) {
        // A PDU is released once processed; the queue rarely holds more than one.
        const i = this.spare.findIndex((b) => b.length >= n);
        const buffer = i >= 0 ? this.spare.splice(i, 1)[0] : Buffer.allocUnsafeSlow(n);
        out = buffer.subarray(0, n);
        release = () => {
          if (this.spare.length < 2) this.spare.push(buffer);
        };
      } else {
        out = Buffer.allocUnsafe(n);
      }
      let off = 0;
      while (off < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.length -= n;
    return { data: out, release };
  }
}
//#endregion

//#region Exports
module.exports = Network;
// clara-wf patch: reachable for tests (test/gateway-state.test.ts).
module.exports.PduAccumulator = PduAccumulator;
//#endregion
