const { StorageClass, TransferSyntax } = require('./Constants');
const Implementation = require('./Implementation');

const { readFile, readFileSync, writeFile, writeFileSync } = require('fs');
const { EOL } = require('os');
const dcmjs = require('dcmjs');
const { DicomDict, DicomMessage, DicomMetaDictionary, ReadBufferStream, WriteBufferStream } =
  dcmjs.data;
const dcmjsLog = dcmjs.log;

//#region Dataset
class Dataset {
  /**
   * Creates an instance of Dataset.
   * @constructor
   * @param {Object|Buffer} [elementsOrBuffer] - Dataset elements as object or encoded as a DICOM dataset buffer.
   * @param {string} [transferSyntaxUid] - Dataset transfer syntax UID.
   * @param {Object} [readOptions] - The read options to pass through to `DicomMessage._read()`.
   */
  constructor(elementsOrBuffer, transferSyntaxUid, readOptions) {
    readOptions = readOptions || {};
    const baseOptions = { ignoreErrors: true };
    readOptions = { ...baseOptions, ...readOptions };

    dcmjsLog.level = 'error';

    this.transferSyntaxUid = transferSyntaxUid || TransferSyntax.ImplicitVRLittleEndian;
    if (Buffer.isBuffer(elementsOrBuffer)) {
      this.elements = this._fromElementsBuffer(
        elementsOrBuffer,
        this.transferSyntaxUid,
        readOptions
      );
      return;
    }

    this.elements = elementsOrBuffer || {};
  }

  /**
   * Gets element value.
   * @method
   * @param {string} tag - Element tag.
   * @returns {string|undefined} Element value or undefined if element doesn't exist.
   */
  getElement(tag) {
    return this.elements[tag];
  }

  /**
   * Sets element value.
   * @method
   * @param {string} tag - Element tag.
   * @param {string} value - Element value.
   */
  setElement(tag, value) {
    this.elements[tag] = value;
  }

  /**
   * Gets all elements.
   * @method
   * @returns {Object} Elements.
   */
  getElements() {
    return this.elements;
  }

  /**
   * Gets DICOM transfer syntax UID.
   * @method
   * @returns {string} Transfer syntax UID.
   */
  getTransferSyntaxUid() {
    return this.transferSyntaxUid;
  }

  /**
   * Sets DICOM transfer syntax UID.
   * @method
   * @param {string} transferSyntaxUid - Transfer Syntax UID.
   */
  setTransferSyntaxUid(transferSyntaxUid) {
    this.transferSyntaxUid = transferSyntaxUid;
  }

  /**
   * Gets elements encoded in a DICOM dataset buffer.
   * @method
   * @param {Object} [writeOptions] - The write options to pass through to `DicomMessage.write()`.
   * @param {Object} [nameMap] - Additional DICOM tags to recognize when denaturalizing the dataset.
   * @returns {Buffer} DICOM dataset.
   */
  getDenaturalizedDataset(writeOptions, nameMap) {
    const denaturalizedDataset = nameMap
      ? DicomMetaDictionary.denaturalizeDataset(this.getElements(), {
          ...DicomMetaDictionary.nameMap,
          ...nameMap,
        })
      : DicomMetaDictionary.denaturalizeDataset(this.getElements());

    const stream = new WriteBufferStream();
    DicomMessage.write(denaturalizedDataset, stream, this.transferSyntaxUid, writeOptions);

    return Buffer.from(stream.getBuffer());
  }

  /**
   * Gets command elements encoded in a DICOM dataset buffer.
   * @method
   * @param {Object} [writeOptions] - The write options to pass through to `DicomMessage.write()` and `DicomMessage.writeTagObject()`.
   * @returns {Buffer} DICOM dataset.
   */
  getDenaturalizedCommandDataset(writeOptions) {
    const denaturalizedDataset = DicomMetaDictionary.denaturalizeDataset(this.getElements());
    // clara-wf patch: a command set (group 0000, Implicit VR Little Endian)
    // uses a handful of VRs (PS3.7 E.1); encoding it directly takes ~2 us,
    // dcmjs's general writer ~400 us and two 256 KB buffers per response.
    // Anything else goes through dcmjs as before.
    const direct = encodeCommandSet(denaturalizedDataset);
    if (direct) return direct;
    return this._getDenaturalizedCommandDatasetWithDcmjs(denaturalizedDataset, writeOptions);
  }

  /**
   * The upstream encoder of a command set (dcmjs); kept for what the direct
   * encoder does not handle, and to check it byte for byte.
   * @method
   * @private
   */
  _getDenaturalizedCommandDatasetWithDcmjs(denaturalizedDataset, writeOptions) {
    const datasetStream = new WriteBufferStream();
    const elementsStream = new WriteBufferStream();
    DicomMessage.write(
      denaturalizedDataset,
      elementsStream,
      TransferSyntax.ImplicitVRLittleEndian,
      writeOptions
    );
    DicomMessage.writeTagObject(
      datasetStream,
      '00000000',
      'UL',
      elementsStream.size,
      TransferSyntax.ImplicitVRLittleEndian,
      writeOptions
    );
    datasetStream.concat(elementsStream);

    return Buffer.from(datasetStream.getBuffer());
  }

  /**
   * Loads a dataset from DICOM P10 file.
   * @method
   * @static
   * @param {string} path - P10 file path.
   * @param {function(Error, Dataset)} [callback] - P10 file reading callback function.
   * If this is not provided, the function runs synchronously.
   * @param {Object} [readOptions] - The read options to pass through to `DicomMessage.readFile()`.
   * @returns {Dataset|undefined} Dataset or undefined, if the function runs asynchronously.
   */
  static fromFile(path, callback, readOptions) {
    if (callback !== undefined && callback instanceof Function) {
      readFile(path, (error, fileBuffer) => {
        if (error) {
          callback(error, undefined);
          return;
        }

        try {
          callback(undefined, this._fromP10Buffer(fileBuffer, readOptions));
        } catch (err) {
          callback(err, undefined);
        }
      });
      return;
    }

    return this._fromP10Buffer(readFileSync(path), readOptions);
  }

  /**
   * Saves a dataset to DICOM P10 file.
   * @method
   * @param {string} path - P10 file path.
   * @param {function(Error)} [callback] - P10 file writing callback function.
   * If this is not provided, the function runs synchronously.
   * @param {Object} [nameMap] - Additional DICOM tags to recognize when denaturalizing the
   * dataset. Can be used to support writing private fields/tags.
   * @param {Object} [writeOptions] - The write options to pass through to `DicomDict.write()`.
   */
  toFile(path, callback, nameMap, writeOptions) {
    const elements = {
      _meta: {
        FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
        MediaStorageSOPClassUID:
          this.getElement('SOPClassUID') || StorageClass.SecondaryCaptureImageStorage,
        MediaStorageSOPInstanceUID:
          this.getElement('SOPInstanceUID') || Dataset.generateDerivedUid(),
        TransferSyntaxUID: this.getTransferSyntaxUid(),
        ImplementationClassUID: Implementation.getImplementationClassUid(),
        ImplementationVersionName: Implementation.getImplementationVersion(),
      },
      ...this.getElements(),
    };
    const denaturalizedMetaHeader = DicomMetaDictionary.denaturalizeDataset(elements._meta);
    const dicomDict = new DicomDict(denaturalizedMetaHeader);

    dicomDict.dict = nameMap
      ? DicomMetaDictionary.denaturalizeDataset(elements, {
          ...DicomMetaDictionary.nameMap,
          ...nameMap,
        })
      : DicomMetaDictionary.denaturalizeDataset(elements);

    if (callback instanceof Function) {
      writeFile(path, Buffer.from(dicomDict.write(writeOptions)), (error) => {
        callback(error ? error : undefined);
        return;
      });
    } else {
      writeFileSync(path, Buffer.from(dicomDict.write(writeOptions)));
    }
  }

  /**
   * Generates a UUID-derived UID.
   * @method
   * @static
   * @returns {string} UUID-derived UID.
   */
  static generateDerivedUid() {
    return DicomMetaDictionary.uid();
  }

  /**
   * Gets the dataset description.
   * @method
   * @returns {string} Dataset description.
   */
  toString() {
    const str = [];
    str.push('Dataset:');
    str.push('='.repeat(50));
    str.push(JSON.stringify(this.getElements()));

    return str.join(EOL);
  }

  //#region Private Methods
  /**
   * Creates a dataset from p10 buffer.
   * @method
   * @static
   * @private
   * @param {Buffer} buffer - p10 buffer.
   * @param {Object} [readOptions] - The read options to pass through to `DicomMessage.readFile()`.
   * @returns {Dataset} Dataset.
   */
  static _fromP10Buffer(buffer, readOptions) {
    readOptions = readOptions || {};
    const baseOptions = { ignoreErrors: true };
    readOptions = { ...baseOptions, ...readOptions };

    const dicomDict = DicomMessage.readFile(
      buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength),
      readOptions
    );
    const meta = DicomMetaDictionary.naturalizeDataset(dicomDict.meta);
    const transferSyntaxUid = meta.TransferSyntaxUID;
    const elements = DicomMetaDictionary.naturalizeDataset(dicomDict.dict);

    return new Dataset(elements, transferSyntaxUid);
  }

  /**
   * Loads a dataset from elements only buffer.
   * @method
   * @private
   * @param {Buffer} buffer - Elements buffer.
   * @param {string} transferSyntaxUid - Transfer Syntax UID.
   * @param {Object} [readOptions] - The read options to pass through to `DicomMessage._read()`.
   * @returns {Object} Dataset elements.
   */
  _fromElementsBuffer(buffer, transferSyntaxUid, readOptions) {
    const stream = new ReadBufferStream(
      buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)
    );
    // Use the proper encoding and endianness (based on transfer syntax UID)
    // since dcmjs doesn't do that internally.
    const syntaxTypeToDecode =
      transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian
        ? TransferSyntax.ImplicitVRLittleEndian
        : transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian
          ? TransferSyntax.ExplicitVRBigEndian
          : TransferSyntax.ExplicitVRLittleEndian;
    const denaturalizedDataset = DicomMessage._read(stream, syntaxTypeToDecode, readOptions);

    return DicomMetaDictionary.naturalizeDataset(denaturalizedDataset);
  }
  //#endregion
}
//#endregion

//#region encodeCommandSet (clara-wf patch)
const COMMAND_STRING_PAD = { UI: 0, AE: 0x20, LO: 0x20, SH: 0x20, CS: 0x20 };
/**
 * Encodes a denaturalized command set as Implicit VR Little Endian with its
 * (0000,0000) group length, or returns undefined when an element has a VR or
 * value this encoder does not handle (the caller then uses dcmjs).
 * @param {Object} denaturalized - Elements keyed by tag ('00000100') with vr and Value.
 * @returns {Buffer|undefined} The encoded command set.
 */
function encodeCommandSet(denaturalized) {
  const parts = [];
  let length = 0;
  for (const tag of Object.keys(denaturalized).sort()) {
    if (tag === '00000000' || !/^0000[0-9A-Fa-f]{4}$/.test(tag)) {
      if (tag === '00000000') continue;
      return undefined;
    }
    const { vr, Value } = denaturalized[tag];
    const values = Value === undefined || Value === null ? [] : Value;
    let value;
    if (vr === 'US' || vr === 'UL') {
      const size = vr === 'US' ? 2 : 4;
      value = Buffer.alloc(size * values.length);
      for (let i = 0; i < values.length; i++) {
        // denaturalizeDataset gives numbers as decimal strings.
        const v = typeof values[i] === 'string' && /^\d+$/.test(values[i]) ? Number(values[i]) : values[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** (8 * size)) {
          return undefined;
        }
        if (size === 2) value.writeUInt16LE(v, 2 * i);
        else value.writeUInt32LE(v, 4 * i);
      }
    } else if (vr in COMMAND_STRING_PAD) {
      if (values.some((v) => typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v))) {
        return undefined;
      }
      const text = Buffer.from(values.join('\\'), 'latin1');
      value = text.length % 2 ? Buffer.concat([text, Buffer.from([COMMAND_STRING_PAD[vr]])]) : text;
    } else {
      return undefined;
    }
    const head = Buffer.alloc(8);
    head.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
    head.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
    head.writeUInt32LE(value.length, 4);
    parts.push(head, value);
    length += 8 + value.length;
  }
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(0x00000000, 0);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(length, 8);
  return Buffer.concat([groupLength, ...parts], 12 + length);
}
//#endregion

//#region Exports
module.exports = Dataset;
//#endregion
